/**
 * Headless Chromium (Debian's package) driven by playwright-core, with the flags this machine
 * needs, collecting console errors, page errors and CSP violations so tests can assert none.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { missingFile, requireSuite } from "./suites.ts";

/** Path of Debian's Chromium. */
export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Whether the browser suites can run here (throws in CI when they cannot). */
export function browserAvailable(suite: string): boolean {
  return requireSuite(suite, missingFile(CHROMIUM, "chromium (apt-get install chromium)"));
}

/** Launches Chromium; `extraArgs` e.g. fake media devices. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      ...extraArgs,
    ],
  });
}

/** A page that records console errors, uncaught errors and CSP violations. */
export async function openPage(browser: Browser, opts: { width?: number; height?: number } = {}): Promise<{
  page: Page;
  problems: string[];
}> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, problems };
}
