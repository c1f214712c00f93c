import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app_server.ts";
import { browserAvailable, launchBrowser, openPage } from "../_helpers/browser.ts";

const ok = browserAvailable("browser: chat with the committed local model");
const committedModel = new URL("../../models/local", import.meta.url).pathname;

Deno.test({
  name: "without a Gemini key the page names the tiny local model and its reply streams in and persists",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startTestServer({ LOCAL_MODEL_DIR: committedModel });
    const browser = await launchBrowser();
    try {
      const { page, problems } = await openPage(browser);
      await page.goto(server.url + "/");
      await page.waitForSelector("html[data-hydrated=true]");
      assert.equal(await page.locator(".model-badge").textContent(), "Tiny local model");
      assert.equal(await page.locator(".banner-warning").count(), 0, "no 'configure a model' banner");
      // A new user learns plainly that this model is a demonstration, and how to connect a real one.
      const note = (await page.locator(".demo-note").textContent()) ?? "";
      assert.match(note, /The tiny local model is a demonstration\./);
      assert.match(note, /set GEMINI_API_KEY/);
      await page.fill("textarea", 'Define the word "harbor".');
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/c\/[0-9a-f-]{36}$/);
      // The reply is done when it is no longer streaming (the composer stays usable meanwhile: it
      // queues); it must have produced text.
      await page.waitForFunction(
        () => {
          const replies = document.querySelectorAll(".message-assistant");
          return replies.length === 1 && replies[0].getAttribute("data-status") === "complete" &&
            (replies[0].querySelector(".markdown")?.textContent ?? "").trim().length > 0;
        },
        undefined,
        { timeout: 20_000 },
      );
      const reply = (await page.locator(".message-assistant .markdown").textContent())!.trim();
      assert.doesNotMatch(reply, /\uFFFD/, "invalid UTF-8 from the byte-level model is dropped");
      await page.reload();
      await page.waitForSelector("html[data-hydrated=true]");
      assert.equal((await page.locator(".message-assistant .markdown").textContent())!.trim(), reply);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
  },
});
