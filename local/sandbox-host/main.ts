import { stopOnSignal } from "../shutdown.js";
import { startSandboxHost } from "./server.js";

// `npm run sandbox-host`: the E2B-compatible host on its own, for the SDK or any E2B client.
const port = Number(process.env.SANDBOX_HOST_PORT ?? 3030);
const host = await startSandboxHost({
  port,
  apiKey: process.env.SANDBOX_HOST_API_KEY || undefined,
  dataDir: process.env.SANDBOX_HOST_DATA_DIR,
  templatesFile: process.env.SANDBOX_HOST_TEMPLATES,
  faults: process.env.SANDBOX_HOST_FAULTS === "1",
  maxSandboxes: positiveOrUndefined(process.env.SANDBOX_HOST_MAX_SANDBOXES),
  maxCreatesPerSecond: positiveOrUndefined(process.env.SANDBOX_HOST_MAX_CREATES_PER_SECOND),
}).catch((error: Error) => {
  console.error(`sandbox host: ${error.message}`);
  process.exit(1);
});

for (const line of host.isolation.describe()) console.log(line);
console.log(`local E2B sandbox host listening on ${host.url}; point the E2B SDK at it with:`);
console.log(`export E2B_API_URL=${host.url}`);
console.log(`export E2B_SANDBOX_URL=${host.url}`);
console.log(`export E2B_API_KEY=${process.env.SANDBOX_HOST_API_KEY || "local"}`);

stopOnSignal("stopping: killing every sandbox", () => host.close());

function positiveOrUndefined(value: string | undefined): number | undefined {
  return value && Number.isInteger(Number(value)) && Number(value) > 0 ? Number(value) : undefined;
}
