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

/** The wrapper that keeps Chromium's stderr and exit status in a log file per browser. */
const WRAPPER = new URL("./chromium_logged.sh", import.meta.url).pathname;

/** The line the wrapper ends a browser's log with. */
const EXIT_LINE = /^chromium exited with status (\d+)$/m;

/**
 * What a browser's log says about how it ended: null after a clean exit (status 0), else a
 * report with the exit status (or that Chromium was still running when Playwright lost it) and
 * the log's last lines (without the D-Bus errors every launch prints).
 */
export function unexpectedExit(log: string, lastLines = 40): string | null {
  const status = EXIT_LINE.exec(log)?.[1];
  if (status === "0") return null;
  const how = status === undefined
    ? "the connection closed while Chromium was still running (no exit recorded)"
    : `Chromium exited with status ${status}${
      Number(status) > 128 ? ` (signal ${Number(status) - 128})` : ""
    }`;
  // Chromium's complaints about the missing D-Bus come with every launch: left out of the tail.
  const lines = log.trimEnd().split("\n").filter((line) => !line.includes(":ERROR:dbus/"));
  const tail = lines.slice(-lastLines).join("\n");
  return `browser disconnected before the test closed it: ${how}; its last output:\n${tail}`;
}

/**
 * Waits for the wrapper to record Chromium's exit (the connection closes a moment before it does;
 * at most `waitMs`); a clean exit removes the log (the wrapper does, so no log outlives a test
 * that ends first), anything else prints `unexpectedExit`'s report.
 * Resolves to that report (null after a clean exit).
 */
async function reportExit(log: string, waitMs = 5_000): Promise<string | null> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    const text = await Deno.readTextFile(log).catch(() => null);
    if (text === null) return null; // the wrapper removes the log after a clean exit
    if (EXIT_LINE.test(text) || performance.now() > deadline) {
      const report = unexpectedExit(text);
      if (report !== null) console.error(`${report}\n(full log: ${log})`);
      return report;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Each launched browser's log file and the report made once it disconnects. */
const exits = new WeakMap<Browser, { log: string; report: Promise<string | null> }>();

function exitOf(browser: Browser): { log: string; report: Promise<string | null> } {
  const exit = exits.get(browser);
  if (!exit) throw new Error("not a browser from launchBrowser");
  return exit;
}

/** The log file of a browser from `launchBrowser` (its first line names the wrapper's pid). */
export function browserLog(browser: Browser): string {
  return exitOf(browser).log;
}

/** Resolves once `browser` has disconnected: null after a clean exit, else the printed report. */
export function browserExit(browser: Browser): Promise<string | null> {
  return exitOf(browser).report;
}

/**
 * Launches Chromium; `extraArgs` e.g. fake media devices. Chromium runs through a wrapper that
 * keeps its stderr and exit status in a log file; when the browser disconnects, a clean exit
 * leaves no log and anything else prints `unexpectedExit`'s report, so a browser lost mid-test
 * says why. A failed launch carries the log's last lines in its error.
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const log = await Deno.makeTempFile({ prefix: "mc-chromium-", suffix: ".log" });
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: WRAPPER,
      env: { ...Deno.env.toObject(), MC_CHROMIUM: CHROMIUM, MC_CHROMIUM_LOG: log },
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
  } catch (e) {
    const text = await Deno.readTextFile(log).catch(() => "");
    throw new Error(`${e instanceof Error ? e.message : e}\nChromium's output (${log}):\n${text}`, {
      cause: e,
    });
  }
  const gone = new Promise<void>((resolve) => browser.on("disconnected", () => resolve()));
  exits.set(browser, { log, report: gone.then(() => reportExit(log)) });
  return browser;
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
  page.on("crash", () => problems.push("crash: the page's renderer process crashed"));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, problems };
}
