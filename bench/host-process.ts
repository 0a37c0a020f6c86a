import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Runs `npm run sandbox-host`'s program in its own process, as a user would, and returns its URL. */
export async function startHostProcess(
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "local/sandbox-host/main.ts"], {
    env: { ...process.env, SANDBOX_HOST_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      const match = /^export E2B_API_URL=(.+)$/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`sandbox host exited with ${code} before it listened`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
