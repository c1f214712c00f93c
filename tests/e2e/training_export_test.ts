/** The settings panel's "Export as training data": format picker, links, the downloaded file, axe-core. */
import assert from "node:assert/strict";
import { axeViolations } from "../_helpers/axe.ts";
import { browserAvailable } from "../_helpers/browser.ts";
import { openChat, sendMessage, startChatFixture, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: training export");

Deno.test({
  name: "training export: the settings panel links this conversation and all of them, in the picked format",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const fx = await startChatFixture();
    try {
      const { page, problems } = await openChat(fx, "/");
      await page.locator(".settings-toggle").click();
      // A chat not created yet has only "All conversations".
      assert.equal(await page.locator(".training-export-one").count(), 0);
      await page.locator(".settings-toggle").click();
      await sendMessage(page, "hello export");
      await waitIdle(page);
      await page.locator(".settings-toggle").click();
      await page.locator("#settings .training-export-format").selectOption("openai");
      const id = new URL(page.url()).pathname.split("/").at(-1)!;
      assert.equal(
        await page.locator(".training-export-one").getAttribute("href"),
        `/api/export/training?format=openai&ids=${id}`,
      );
      assert.equal(
        await page.locator("#settings .training-export-all").getAttribute("href"),
        "/api/export/training?format=openai",
      );
      assert.equal(
        await page.locator(".training-export-one").getAttribute("download"),
        "mini-claude-openai.jsonl",
      );
      // The link's file, fetched with the page's session.
      const href = (await page.locator(".training-export-one").getAttribute("href"))!;
      const text = await page.evaluate((u) => fetch(u).then((r) => r.text()), href);
      const record = JSON.parse(text.trim());
      assert.equal(record.messages[0].role, "user");
      assert.equal(record.messages[0].content, "hello export");
      assert.equal(record.messages[1].role, "assistant");
      assert.ok(record.messages[1].content.length > 0);
      // Scoped to this component: the panel's Save button (white on the light accent, 3.9:1) is an older finding.
      assert.deepEqual(await axeViolations(page, ".training-export"), []);
      // Next to the sidebar's "Export all": a "Training data" menu for all conversations.
      await page.locator(".settings-toggle").click();
      await page.locator(".training-export-menu > summary").click();
      await page.locator(".transfer .training-export-format").selectOption("alpaca");
      assert.equal(
        await page.locator(".transfer .training-export-all").getAttribute("href"),
        "/api/export/training?format=alpaca",
      );
      assert.equal(await page.locator(".transfer .training-export-one").count(), 0);
      assert.deepEqual(await axeViolations(page, ".transfer"), []);
      assert.deepEqual(problems, []);
    } finally {
      await fx.close();
    }
  },
});
