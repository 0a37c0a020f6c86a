import { type SandboxHostOptions, startSandboxHost } from "./sandbox-host/server.js";

// The sandbox host in a process of its own, started by the local stack (see sandbox-host-process.ts):
// its options come as JSON in the environment, its address goes out as one line, and it ends (its
// sandboxes killed) when the stack says so or when the stack is gone (its stdin closes).
const options = JSON.parse(process.env.RUNLEDGER_SANDBOX_HOST ?? "{}") as SandboxHostOptions;
const host = await startSandboxHost(options).catch((error: Error) => {
  console.error(`sandbox host: ${error.message}`);
  process.exit(1);
});
// How sandboxes are fenced, which kernel runs Python, and what is missing: npm start prints these.
for (const line of host.isolation.describe()) process.stdout.write(`${line}\n`);
process.stdout.write(`listening ${host.url}\n`);

let closing = false;
const close = () => {
  if (closing) return;
  closing = true;
  void host.close().finally(() => process.exit(0));
};
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, close);
process.stdin.on("end", close);
process.stdin.on("error", close);
process.stdin.resume();
