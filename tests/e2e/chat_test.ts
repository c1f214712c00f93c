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
        // Every text the streaming reply shows is recorded as the DOM changes (no sampling interval).
        await page.evaluate(() => {
          const w = globalThis as unknown as { __streamed: string[] };
          w.__streamed = [];
          new MutationObserver(() => {
            const reply = [...document.querySelectorAll(".message-assistant")].at(-1);
            const text = reply?.querySelector(".message-body")?.textContent?.trim() ?? "";
            if (reply?.getAttribute("data-status") === "streaming" && text.startsWith("Echo:")) {
              if (w.__streamed.at(-1) !== text) w.__streamed.push(text);
            }
          }).observe(document.body, {
            subtree: true,
            childList: true,
            characterData: true,
            attributes: true,
          });
        });
        // 60 ms per token: the reply arrives in several pieces.
        await sendMessage(page, "[[stub:slow:60]] alpha beta gamma delta epsilon zeta");
        await waitIdle(page);
        const seen = await page.evaluate(() =>
          (globalThis as unknown as { __streamed: string[] }).__streamed
        );
        assert.ok(seen.length >= 2, `saw ${seen.length} intermediate states: ${seen.join(" | ")}`);
        for (let i = 1; i < seen.length; i++) {
          assert.ok(seen[i].startsWith(seen[i - 1].slice(0, -1)), `text grows: ${seen[i - 1]} -> ${seen[i]}`);
        }
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

      await t.step(
        "with JavaScript disabled the conversation is readable; other sessions get 404",
        async () => {
          const context = await fx.browser.newContext({ javaScriptEnabled: false });
          await context.addCookies(await page.context().cookies());
          const noJs = await context.newPage();
          const res = await noJs.goto(fx.server.url + conversationPath);
          assert.equal(res?.status(), 200);
          assert.equal(await noJs.evaluate(() => document.documentElement.dataset.hydrated), undefined);
          assert.deepEqual((await readMessages(noJs)).map((m) => m[2]), [
            "[[stub:slow:60]] alpha beta gamma delta epsilon zeta",
            "Echo: alpha beta gamma delta epsilon zeta",
          ]);
          assert.equal(await noJs.locator(".message-assistant .markdown p").count(), 1);
          const stranger = await fx.browser.newContext({ javaScriptEnabled: false });
          const other = await (await stranger.newPage()).goto(fx.server.url + conversationPath);
          assert.equal(other?.status(), 404);
          await context.close();
          await stranger.close();
        },
      );

      await t.step("Stop keeps the partial reply, marked stopped, also after a reload", async () => {
        await sendMessage(page, "[[stub:slow:150]] one two three four five six seven eight nine ten");
        const last = page.locator(".message-assistant").last();
        await page.waitForFunction(() => {
          const els = document.querySelectorAll(".message-assistant");
          return (els[els.length - 1]?.textContent ?? "").includes("two");
        });
        await page.locator(".composer-stop").click();
        await waitIdle(page);
        assert.equal(await last.getAttribute("data-status"), "stopped");
        assert.equal(await last.locator(".badge-stopped").textContent(), "Stopped");
        const partial = (await readMessages(page))[3][2];
        assert.match(partial, /^Echo: one two/);
        assert.ok(!partial.includes("ten"), partial);
        await page.reload();
        await page.waitForSelector("html[data-hydrated=true]");
        const after = await readMessages(page);
        assert.equal(after.length, 4);
        assert.equal(after[3][1], "stopped");
        assert.match(after[3][2], /^Echo: one two/);
        assert.equal(await page.locator(".message-assistant .badge-stopped").count(), 1);
      });

      await t.step("Esc also stops a streaming reply", async () => {
        await sendMessage(page, "[[stub:slow:150]] red green blue cyan magenta yellow black white");
        await page.waitForSelector(".message-assistant[data-status=streaming] .markdown");
        await page.keyboard.press("Escape");
        await waitIdle(page);
        assert.equal(await page.locator(".message-assistant").last().getAttribute("data-status"), "stopped");
      });

      await t.step("Regenerate shows a new, complete version of the last reply", async () => {
        const before = fx.stub.requests.length;
        await page.locator(".message-assistant").last().locator("button.regenerate").click();
        await waitIdle(page);
        assert.equal(fx.stub.requests.length, before + 1);
        const messages = await readMessages(page);
        assert.equal(messages.length, 6);
        assert.deepEqual(messages[5], [
          "assistant",
          "complete",
          "Echo: red green blue cyan magenta yellow black white",
        ]);
      });

      await t.step("Edit the last user message: the reply answers the new text", async () => {
        await page.locator(".message-user").last().locator("button.edit-message").click();
        const editor = page.locator(".message-editor textarea");
        await editor.fill("edited question please");
        await editor.press("Enter");
        await waitIdle(page);
        const messages = await readMessages(page);
        assert.deepEqual(messages.slice(4), [
          ["user", "complete", "edited question please"],
          ["assistant", "complete", "Echo: edited question please"],
        ]);
        await page.reload();
        await page.waitForSelector("html[data-hydrated=true]");
        assert.deepEqual((await readMessages(page)).slice(4).map((m) => m[2]), [
          "edited question please",
          "Echo: edited question please",
        ]);
      });

      await t.step("an error mid-stream shows inline with Retry, which regenerates", async () => {
        fx.stub.setFault({ kind: "cut", afterTokens: 2 }, { times: 1 });
        await sendMessage(page, "broken stream words here");
        await waitIdle(page);
        const last = page.locator(".message-assistant").last();
        assert.equal(await last.getAttribute("data-status"), "error");
        assert.equal(await last.locator(".badge-error").count(), 1);
        assert.ok(((await last.locator(".message-error").textContent()) ?? "").length > 10);
        await last.locator("button.retry").click();
        await waitIdle(page);
        assert.deepEqual((await readMessages(page)).at(-1), [
          "assistant",
          "complete",
          "Echo: broken stream words here",
        ]);
      });

      await t.step("Copy puts the message text on the clipboard", async () => {
        await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
        const copy = page.locator(".message-assistant").last().locator("button.copy-message");
        await copy.click();
        await page.waitForSelector(".message-assistant button.copy-message[data-copied]");
        assert.equal(
          await page.evaluate(() => navigator.clipboard.readText()),
          "Echo: broken stream words here",
        );
        // the code block's own Copy button (rendered by the Markdown component, wired by the island)
        await sendMessage(page, "```ts\nconst answer = 42;\n```");
        await waitIdle(page);
        await page.locator(".message-user").last().locator("button.copy-code").click();
        await page.waitForSelector(".message-user button.copy-code[data-copied]");
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "const answer = 42;");
      });

      await t.step("raw HTML in a reply is inert text", async () => {
        const dialogs: string[] = [];
        page.on("dialog", (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        await sendMessage(page, "<img src=x onerror=alert(1)> <script>alert(2)</script>");
        await waitIdle(page);
        const reply = (await readMessages(page)).at(-1)!;
        assert.deepEqual(reply, [
          "assistant",
          "complete",
          "Echo: <img src=x onerror=alert(1)> <script>alert(2)</script>",
        ]);
        assert.equal(await page.locator(".messages img, .messages script").count(), 0);
        await page.reload();
        await page.waitForSelector("html[data-hydrated=true]");
        assert.equal(await page.locator(".messages img, .messages script").count(), 0);
        // A handler would have run while the page rendered; a dialog is reported before the next frame.
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        assert.deepEqual(dialogs, []);
      });

      assert.deepEqual(problems, []);
    } finally {
      await fx.close();
    }
  },
});
