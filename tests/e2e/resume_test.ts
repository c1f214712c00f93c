/**
 * Resumable replies in the browser (issue 14): a reload mid-reply reattaches and the reply
 * finishes with exactly the model's text; a second tab shows the live reply and its Stop stops it
 * in both; a message typed while a reply streams is queued (visible, cancellable) and sent when
 * the reply ends; a reply whose process died is marked `error` by the reaper and Retry answers.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../_helpers/app_server.ts";
import { browserAvailable, launchBrowser, openPage } from "../_helpers/browser.ts";
import { type GeminiStub, startGeminiStub, stubReplyText } from "../stubs/gemini_server.ts";
import { readMessages, sendMessage, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: resumable replies");

/** Waits until the last reply shows text containing `needle`. */
function waitForReplyText(page: Page, needle: string): Promise<unknown> {
  return page.waitForFunction((n) => {
    const els = document.querySelectorAll(".message-assistant");
    return (els[els.length - 1]?.textContent ?? "").includes(n);
  }, needle);
}

function lastReply(page: Page) {
  return page.locator(".message-assistant").last();
}

Deno.test({
  name: "browser: reload mid-reply, Stop from a second tab, queued messages, Retry after the reaper",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    let stub: GeminiStub | null = null;
    let server: TestServer | null = null;
    let browser: Browser | null = null;
    try {
      stub = await startGeminiStub({ apiKey: "resume-browser-key" });
      server = await startTestServer({
        GEMINI_API_KEY: stub.apiKey,
        GEMINI_BASE_URL: stub.url,
        REPLY_STALE_SECONDS: "2",
      });
      browser = await launchBrowser();
      const { page, problems } = await openPage(browser);
      await page.goto(server.url + "/");
      await page.waitForSelector("html[data-hydrated=true]");
      const words = Array.from({ length: 24 }, (_, i) => `wörd${i}`).join(" ");

      await t.step(
        "a reload mid-reply reattaches; the reply finishes with exactly the model's text",
        async () => {
          const prompt = `[[stub:slow:60]] ${words}`;
          await sendMessage(page, prompt);
          await waitForReplyText(page, "wörd3");
          await page.reload();
          await page.waitForSelector("html[data-hydrated=true]");
          assert.equal(await lastReply(page).getAttribute("data-status"), "streaming", "still writing");
          await page.waitForSelector(".message-assistant[data-status=complete]");
          const messages = await readMessages(page);
          assert.deepEqual(messages, [
            ["user", "complete", prompt],
            ["assistant", "complete", stubReplyText(prompt)],
          ]);
          // The stored reply is the same, character for character.
          await page.reload();
          await page.waitForSelector("html[data-hydrated=true]");
          assert.deepEqual((await readMessages(page))[1], ["assistant", "complete", stubReplyText(prompt)]);
        },
      );

      await t.step("a second tab shows the live reply, and its Stop stops it in both tabs", async () => {
        await sendMessage(page, `[[stub:slow:150]] ${words}`);
        await waitForReplyText(page, "wörd1");
        const second = await page.context().newPage();
        await second.goto(page.url());
        await second.waitForSelector("html[data-hydrated=true]");
        await waitForReplyText(second, "wörd3");
        await second.locator(".composer-stop").click();
        await Promise.all([waitIdle(page), waitIdle(second)]);
        const [one, two] = [await readMessages(page), await readMessages(second)];
        assert.equal(one.length, 4);
        assert.equal(one[3][1], "stopped");
        assert.deepEqual(two[3], one[3], "both tabs show the same stopped reply");
        assert.ok(one[3][2].startsWith("Echo: wörd0 wörd1 wörd2 wörd3"), one[3][2]);
        assert.ok(!one[3][2].includes("wörd23"), "stopped before the end");
        await second.close();
      });

      await t.step("typed while a reply streams: queued, cancellable, sent when the reply ends", async () => {
        await sendMessage(page, `[[stub:slow:60]] ${words}`);
        await waitForReplyText(page, "wörd1");
        const input = page.locator("#composer-input");
        await input.fill("first queued");
        await input.press("Enter");
        await input.fill("second queued");
        await input.press("Enter");
        const queued = page.locator(".queued-item .queued-text");
        await page.waitForFunction(() => document.querySelectorAll(".queued-item").length === 2);
        assert.deepEqual(await queued.allTextContents(), ["first queued", "second queued"]);
        await page.getByRole("button", { name: "Cancel queued message: second queued" }).click();
        assert.deepEqual(await queued.allTextContents(), ["first queued"]);
        await page.waitForFunction(() =>
          [...document.querySelectorAll(".message-assistant")].some((el) =>
            (el.textContent ?? "").includes("Echo: first queued")
          )
        );
        await waitIdle(page);
        assert.equal(await page.locator(".queued-item").count(), 0);
        const messages = await readMessages(page);
        assert.deepEqual(messages.slice(4), [
          ["user", "complete", `[[stub:slow:60]] ${words}`],
          ["assistant", "complete", stubReplyText(words)],
          ["user", "complete", "first queued"],
          ["assistant", "complete", "Echo: first queued"],
        ]);
        assert.ok(
          !stub!.requests.some((r) => r.prompt === "second queued"),
          "the cancelled one was not sent",
        );
      });

      await t.step("a reply whose process died is marked error by the reaper; Retry answers", async () => {
        // What a killed instance leaves behind: a `streaming` row nobody updates any more.
        const conversationId = new URL(page.url()).pathname.split("/").at(-1)!;
        const db = server!.services.db;
        const [owner] = await db.sql`select owner_id from conversations where id = ${conversationId}`;
        await db.appendMessage(owner.owner_id, conversationId, { role: "user", content: "are you there" });
        const orphan = await db.appendMessage(owner.owner_id, conversationId, {
          role: "assistant",
          content: "Echo: are",
          status: "streaming",
        });
        await page.reload();
        await page.waitForSelector("html[data-hydrated=true]");
        await page.waitForSelector(`#m-${orphan!.id}[data-status=error]`);
        const retry = page.locator(".message-assistant").last().locator("button.retry");
        await retry.click();
        await waitIdle(page);
        assert.deepEqual((await readMessages(page)).slice(-2), [
          ["user", "complete", "are you there"],
          ["assistant", "complete", "Echo: are you there"],
        ]);
      });

      assert.deepEqual(problems, []);
    } finally {
      await browser?.close();
      await server?.close();
      await stub?.close();
    }
  },
});
