// runledger from a "Code by Zapier" step (Run JavaScript). Input Data: url, key, secret, code, and optionally
// language (python), timeout_ms, wait_seconds (how long runledger holds the answer for the run to finish; default 0,
// since Zapier ends a Code step after 1 s on its Free plan: set it a few seconds under your plan's limit),
// idempotency_key (e.g. the trigger's id, so a replayed Zap does not run the code twice), webhook_url
// (e.g. a "Webhooks by Zapier" Catch Hook, for runs longer than the step may wait).
const crypto = require("crypto");

const url = String(inputData.url || "").replace(/\/+$/, "");
if (!url || !inputData.key || !inputData.secret || !inputData.code) {
  throw new Error("runledger: set url, key, secret and code in Input Data");
}
const payload = { code: inputData.code, language: inputData.language || "python" };
if (inputData.timeout_ms) payload.timeout_ms = Number(inputData.timeout_ms);
if (inputData.webhook_url) payload.webhook_url = inputData.webhook_url;
const path = `/v1/executions?wait=${Number(inputData.wait_seconds || 0)}`;
const body = JSON.stringify(payload);
const timestamp = (Date.now() / 1000).toFixed(3);
const bodyHash = crypto.createHash("sha256").update(body).digest("hex");
const signature = crypto.createHmac("sha256", inputData.secret).update(`${timestamp}\nPOST\n${path}\n${bodyHash}`).digest("hex");
const headers = {
  "content-type": "application/json",
  "x-runledger-key": inputData.key,
  "x-runledger-timestamp": timestamp,
  "x-runledger-signature": `v1=${signature}`,
};
if (inputData.idempotency_key) headers["idempotency-key"] = inputData.idempotency_key;

const res = await fetch(url + path, { method: "POST", headers, body });
const answer = await res.json();
if (!res.ok) {
  const error = answer.error || {};
  throw new Error(
    `runledger: ${error.code || res.status}: ${error.message || "request failed"} (request id ${error.request_id || "none"})`,
  );
}
const result = answer.result || {};
output = {
  execution_id: answer.id,
  status: answer.status,
  finished: ["succeeded", "failed", "timed_out", "canceled", "error"].includes(answer.status),
  stdout: result.stdout || "",
  stderr: result.stderr || "",
  text: result.text || "",
  error: result.error ? `${result.error.name}: ${result.error.value}` : "",
  exit_code: result.exit_code === undefined || result.exit_code === null ? "" : result.exit_code,
  cost_usd: answer.cost_usd || "",
};
