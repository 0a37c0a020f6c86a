import { spawnSync } from "node:child_process";

/** The Python packages of the local code-interpreter template, by the Debian package that brings each. */
export const TEMPLATE_PACKAGES: Record<string, string> = {
  ipykernel: "python3-ipykernel",
  matplotlib_inline: "python3-matplotlib-inline",
  numpy: "python3-numpy",
  pandas: "python3-pandas",
  matplotlib: "python3-matplotlib",
  scipy: "python3-scipy",
  PIL: "python3-pil",
};

export interface PythonEnv {
  /** What backs Python contexts: IPython (as on E2B) when installed, else the host's fast kernel. */
  kernel: "ipython" | "fast";
  ipythonVersion: string | null;
  /** Debian packages of the template that this machine's Python lacks. */
  missing: string[];
}

const PROBE = `
import importlib.util, json, sys
found = {name: importlib.util.find_spec(name) is not None for name in sys.argv[1:]}
version = None
if found.get("ipykernel"):
    try:
        import IPython
        version = IPython.__version__
    except Exception:
        found["ipykernel"] = False
print(json.dumps({"found": found, "ipython": version}))
`;

/**
 * Which Python packages sandboxes will find, checked once at start. `SANDBOX_HOST_PYTHON_KERNEL=fast`
 * keeps the fast kernel even where IPython is installed.
 */
export function detectPythonEnv(python: string, wanted = process.env.SANDBOX_HOST_PYTHON_KERNEL): PythonEnv {
  const probe = spawnSync(python, ["-c", PROBE, ...Object.keys(TEMPLATE_PACKAGES)], { encoding: "utf8", timeout: 30_000 });
  let found: Record<string, boolean> = {};
  let version: string | null = null;
  try {
    const parsed = JSON.parse(probe.stdout) as { found: Record<string, boolean>; ipython: string | null };
    found = parsed.found;
    version = parsed.ipython;
  } catch {
    // Python could not even run the probe: everything counts as missing.
  }
  const missing = Object.entries(TEMPLATE_PACKAGES)
    .filter(([module]) => !found[module])
    .map(([, pkg]) => pkg);
  const kernel = version !== null && wanted !== "fast" ? "ipython" : "fast";
  return { kernel, ipythonVersion: version, missing };
}

/** Lines to print at start: which kernel runs Python, and what of the template is missing. */
export function describePythonEnv(env: PythonEnv): string[] {
  const lines = [
    env.kernel === "ipython"
      ? `python contexts: IPython ${env.ipythonVersion} (as E2B's code interpreter)`
      : `python contexts: the fast kernel${env.ipythonVersion ? " (SANDBOX_HOST_PYTHON_KERNEL=fast)" : "; install python3-ipykernel for IPython: indented cells, !commands, %magics, display()"}`,
  ];
  if (env.missing.length > 0) {
    lines.push(`WARNING: the code-interpreter template lacks ${env.missing.join(", ")} (apt-get install ${env.missing.join(" ")})`);
  }
  return lines;
}
