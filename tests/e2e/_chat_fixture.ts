/** Shared setup of the chat browser tests: a Gemini stub, the app pointed at it, and Chromium. */
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../_helpers/app_server.ts";
import { launchBrowser, openPage } from "../_helpers/browser.ts";
import { type GeminiStub, startGeminiStub } from "../stubs/gemini_server.ts";

/** A running app + stub + browser. */
export interface ChatFixture {
  stub: GeminiStub;
  server: TestServer;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts the stub, the app (with the stub as its model unless `withModel` is false; `env` adds
 * configuration) and Chromium.
 */
export async function startChatFixture(
  opts: { withModel?: boolean; env?: Record<string, string> } = {},
): Promise<ChatFixture> {
  const stub = await startGeminiStub({ apiKey: "browser-test-key" });
  const server = await startTestServer({
    ...(opts.withModel === false ? {} : { GEMINI_API_KEY: stub.apiKey, GEMINI_BASE_URL: stub.url }),
    ...opts.env,
  });
  const browser = await launchBrowser();
  return {
    stub,
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
      await stub.close();
    },
  };
}

/** Opens `path` in a fresh context and waits for hydration. */
export async function openChat(
  fx: ChatFixture,
  path = "/",
  opts: { width?: number; height?: number } = {},
): Promise<{ page: Page; problems: string[] }> {
  const opened = await openPage(fx.browser, opts);
  await opened.page.goto(fx.server.url + path);
  await opened.page.waitForSelector("html[data-hydrated=true]");
  return opened;
}

/** Types `text` in the composer and presses Enter. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  const input = page.locator("#composer-input");
  await input.waitFor({ state: "visible" });
  await input.fill(text);
  await input.press("Enter");
}

/** Waits until no reply is streaming (the composer is enabled again). */
export async function waitIdle(page: Page): Promise<void> {
  await page.waitForSelector(".composer[data-busy=false] #composer-input:not([disabled])");
  await page.waitForFunction(() => !document.querySelector(".message[data-status=streaming]"));
}

/** Text of the messages: `[role, status, text]`. */
export function readMessages(page: Page): Promise<[string, string, string][]> {
  return page.$$eval(".message", (els) =>
    els.map((el) =>
      [
        el.classList.contains("message-user") ? "user" : "assistant",
        el.getAttribute("data-status") ?? "",
        (el.querySelector(".message-body .markdown")?.textContent ?? "").trim(),
      ] as [string, string, string]
    ));
}
