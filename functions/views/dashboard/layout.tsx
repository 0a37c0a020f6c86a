import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { DASHBOARD_CSS } from "./styles.js";

/** The HTML shell of every dashboard page: inline styles, no scripts, nothing fetched from elsewhere. */
export function Layout(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title}</title>
        <style>{raw(DASHBOARD_CSS)}</style>
      </head>
      <body>{props.children}</body>
    </html>
  );
}

/** A finished page as a string, with its doctype. */
export async function renderPage(node: { toString(): string | Promise<string> }): Promise<string> {
  return `<!doctype html>${await node.toString()}`;
}
