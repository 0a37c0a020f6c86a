import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, test } from "vitest";

/** Debian's chromium; CI installs it. Another binary can be named with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM_PATH);
export const NO_CHROMIUM = `skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page whose every request is recorded, and aborted unless it goes to `origin`. */
export interface GuardedPage {
  page: Page;
  context: BrowserContext;
  /** Every URL the page asked for, in order. */
  requested: string[];
  /** The ones that went anywhere but `origin`; each was aborted. */
  external: string[];
  consoleErrors: string[];
}

export async function guardedPage(
  browser: Browser,
  origin: string,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<GuardedPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 }, serviceWorkers: "block" });
  const requested: string[] = [];
  const external: string[] = [];
  const consoleErrors: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    requested.push(url);
    if (new URL(url).origin === origin) return route.continue();
    external.push(url);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  return { page, context, requested, external, consoleErrors };
}

/**
 * A describe block with one Chromium for its tests (`browser()` inside a test), or, without
 * Chromium, one skipped test that says why.
 */
export function describeInBrowser(name: string, body: (browser: () => Browser) => void): void {
  describe(name, () => {
    if (!hasChromium) {
      test.skip(`${name}: ${NO_CHROMIUM}`, () => {});
      return;
    }
    let browser: Browser | undefined;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });
    body(() => {
      if (!browser) throw new Error("Chromium did not start");
      return browser;
    });
  });
}
