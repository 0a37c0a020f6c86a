import { Sandbox } from "@e2b/code-interpreter";
import { startSandboxHost } from "../local/sandbox-host/server.ts";
const host = await startSandboxHost({ port: 0, dataDir: "/tmp/prof-host" });
const opts = { apiUrl: host.url, sandboxUrl: host.url, apiKey: "bench" };
const rows = [];
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  const s = await Sandbox.create({ ...opts, timeoutMs: 60000 });
  const t1 = performance.now();
  const e = await s.runCode("print(1)");
  const t2 = performance.now();
  await s.kill();
  const t3 = performance.now();
  rows.push([t1 - t0, t2 - t1, t3 - t2]);
}
const med = (k) => rows.map(r => r[k]).sort((a, b) => a - b)[15].toFixed(1);
console.log("create", med(0), "run", med(1), "kill", med(2));
await host.close();
