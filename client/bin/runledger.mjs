#!/usr/bin/env node
// @ts-check
// The `runledger` command (package.json "bin"). It runs the bundled CLI, and bundles it first when the bundle
// is missing or older than any of its sources, so it works from a fresh clone and after every edit.
import { existsSync, readFileSync, statSync } from "node:fs";

const bundlePath = new URL("../dist/runledger.mjs", import.meta.url);
const inputsPath = new URL("../dist/inputs.json", import.meta.url);

function upToDate() {
  if (!existsSync(bundlePath) || !existsSync(inputsPath)) return false;
  const built = statSync(bundlePath).mtimeMs;
  /** @type {string[]} */
  const inputs = JSON.parse(readFileSync(inputsPath, "utf8"));
  return inputs.every((path) => existsSync(path) && statSync(path).mtimeMs <= built);
}

if (!upToDate()) {
  const { buildCli } = await import("./build.mjs");
  await buildCli();
}
await import(bundlePath.href);
