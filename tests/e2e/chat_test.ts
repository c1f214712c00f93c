import assert from "node:assert/strict";
import { browserAvailable } from "../_helpers/browser.ts";
import { openChat, readMessages, sendMessage, startChatFixture, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: chat");

Deno.test({
  name: "chat: stream a reply, persist it, stop, regenerate, edit, inert HTML",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const fx = await startChatFixture();
    try {
      const { page, problems } = await openChat(fx);
      let conversationPath = "";

      await t.step("sending from / creates a conversation and streams tokens into place", async () => {
        // 60 ms per token: slow enough to observe intermediate states.
        await sendMessage(page, "[[stub:slow:60]] alpha beta gamma delta epsilon zeta");
        const reply = page.locator(".message-assistant .message-body").last();
        const seen = new Set<string>();
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const status = await page.locator(".message-assistant").last().getAttribute("data-status");
          const text = (await reply.textContent())?.trim() ?? "";
          if (status === "streaming" && text.startsWith("Echo:")) seen.add(text);
          if (status !== "streaming") break;
          await page.waitForTimeout(25);
        }
        assert.ok(seen.size >= 2, `saw ${seen.size} intermediate states: ${[...seen].join(" | ")}`);
        await waitIdle(page);
        const messages = await readMessages(page);
        assert.deepEqual(messages, [
          ["user", "complete", "[[stub:slow:60]] alpha beta gamma delta epsilon zeta"],
          ["assistant", "complete", "Echo: alpha beta gamma delta epsilon zeta"],
        ]);
        conversationPath = new URL(page.url()).pathname;
        assert.match(conversationPath, /^\/c\/[0-9a-f-]{36}$/);
        // the sidebar lists it under the title taken from the first message
        const item = page.locator(`.conversation-item a[href="${conversationPath}"]`);
        await item.waitFor();
        assert.equal(await item.getAttribute("aria-current"), "page");
        assert.match((await item.textContent()) ?? "", /alpha beta gamma/);
      });

      await t.step("a reload shows the conversation rendered by the server", async () => {
        await page.reload();
        await page.waitForSelector("html[data-hydrated=true]");
        assert.deepEqual((await readMessages(page)).map((m) => m[2]), [
          "[[stub:slow:60]] alpha beta gamma delta epsilon zeta",
          "Echo: alpha beta gamma delta epsilon zeta",
        ]);
      });

      assert.deepEqual(problems, []);
    } finally {
      await fx.close();
    }
  },
});

Deno.test({
  name: "chat: with JavaScript disabled a conversation is still readable (server-rendered)",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const fx = await startChatFixture();
    try {
      const { page } = await openChat(fx);
      await sendMessage(page, "**bold** words here");
      await waitIdle(page);
      const path = new URL(page.url()).pathname;
      const cookies = await page.context().cookies();
      const context = await fx.browser.newContext({ javaScriptEnabled: false });
      await context.addCookies(cookies);
      const noJs = await context.newPage();
      const res = await noJs.goto(fx.server.url + path);
      assert.equal(res?.status(), 200);
      assert.equal(await noJs.evaluate(() => document.documentElement.dataset.hydrated), undefined);
      assert.equal(await noJs.locator(".message-user .markdown strong").textContent(), "bold");
      assert.equal(
        (await noJs.locator(".message-assistant .markdown").textContent())?.trim(),
        "Echo: bold words here",
      );
      assert.equal(await noJs.locator(".message-assistant .markdown strong").textContent(), "bold");
      // another session gets the 404 page
      const stranger = await fx.browser.newContext({ javaScriptEnabled: false });
      const other = await (await stranger.newPage()).goto(fx.server.url + path);
      assert.equal(other?.status(), 404);
    } finally {
      await fx.close();
    }
  },
});
