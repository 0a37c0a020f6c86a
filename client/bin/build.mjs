// @ts-check
// Bundles the CLI (client/cli/main.ts and what it imports) into one plain ES module, client/dist/runledger.mjs,
// with esbuild. `npm install` runs this as the `prepare` script; the `runledger` bin runs it again whenever a
// source file is newer than the bundle. `--package` also bundles the library (client/index.ts) into
// client/dist/index.mjs and writes its type declarations under client/dist/types/: the client package
// (client/package.json) that `npm pack` in client/ makes, with no runtime dependency. `--action` bundles the
// GitHub Action (action/src/main.ts, which imports the client) into action/index.mjs instead, the file the
// runner runs (committed, since the runner installs nothing).
import { execFileSync } from "node:child_process";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const clientDir = fileURLToPath(new URL("../", import.meta.url));
export const bundlePath = `${clientDir}dist/runledger.mjs`;
/** The absolute paths of the bundle's sources, one JSON array. */
export const inputsPath = `${clientDir}dist/inputs.json`;

export async function buildCli() {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [`${clientDir}cli/main.ts`],
    absWorkingDir: clientDir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    metafile: true,
    // The package's bin is this file itself.
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error("esbuild wrote nothing");
  const inputs = Object.keys(result.metafile.inputs).map((path) => fileURLToPath(new URL(path, `file://${clientDir}`)));
  mkdirSync(`${clientDir}dist`, { recursive: true });
  // Written aside and renamed: two commands building at once never see half a file.
  const suffix = `${process.pid}.tmp`;
  writeFileSync(`${bundlePath}.${suffix}`, output.contents);
  writeFileSync(`${inputsPath}.${suffix}`, JSON.stringify(inputs));
  renameSync(`${bundlePath}.${suffix}`, bundlePath);
  renameSync(`${inputsPath}.${suffix}`, inputsPath);
}

/** The library bundle and its declarations, for the client package. */
export async function buildLibrary() {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [`${clientDir}index.ts`],
    absWorkingDir: clientDir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: `${clientDir}dist/index.mjs`,
    logLevel: "warning",
  });
  rmSync(`${clientDir}dist/types`, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", `${clientDir}tsconfig.json`], { stdio: "inherit" });
}

export const actionPath = fileURLToPath(new URL("../../action/index.mjs", import.meta.url));

/** The Action's bundle, as the bytes it should have. */
export async function actionBundle() {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [fileURLToPath(new URL("../../action/src/main.ts", import.meta.url))],
    absWorkingDir: fileURLToPath(new URL("../../", import.meta.url)),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    legalComments: "none",
    banner: { js: "// Built by `npm run build:action` from action/src/ and client/: edit those, not this file." },
    logLevel: "warning",
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error("esbuild wrote nothing");
  return output.text;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes("--action")) {
  writeFileSync(actionPath, await actionBundle());
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes("--package")) {
  await buildCli();
  await buildLibrary();
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await buildCli();
  } catch (error) {
    // An install must not fail over this: the bin builds the bundle itself when it is missing.
    console.warn(`runledger: the CLI was not prebuilt (${/** @type {Error} */ (error).message}); it will build on first use`);
  }
}
