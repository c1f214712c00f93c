import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { axeViolations } from "../_helpers/axe.ts";
import { browserAvailable } from "../_helpers/browser.ts";
import { openChat, startChatFixture } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: export and import");
const FIXTURES = new URL("../fixtures/import/", import.meta.url);

function titles(page: Page): Promise<string[]> {
  return page.$$eval(".conversation-link", (els) => els.map((e) => e.textContent ?? ""));
}

Deno.test({
  name: "export and import in the browser: upload with report, re-import, bad file, downloads",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const fx = await startChatFixture({ withModel: false });
    try {
      const { page, problems } = await openChat(fx);

      await t.step("importing a ChatGPT export shows the report and fills the list", async () => {
        await page.locator(".import-input").setInputFiles(
          new URL("chatgpt_conversations.json", FIXTURES).pathname,
        );
        await page.waitForSelector(".import-result");
        assert.equal(
          (await page.locator(".import-result").textContent())?.replace(/\s+/g, " ").trim(),
          "Imported 2 conversations (9 messages).",
        );
        assert.equal(await page.locator(".import-report summary").textContent(), "Left out (8)");
        await page.locator(".import-report summary").click();
        const skipped = await page.$$eval(".import-skipped li", (els) => els.map((e) => e.textContent));
        assert.ok(skipped.includes("hidden message: 2"), JSON.stringify(skipped));
        assert.deepEqual(
          await axeViolations(page, ".transfer"),
          [],
          "export, import and the report pass axe-core",
        );
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 1);
        assert.deepEqual(await titles(page), ["Reverse a list"]);
        // The export marked the other one archived.
        await page.getByRole("button", { name: "Archived" }).click();
        await page.waitForFunction(() =>
          document.querySelector(".conversation-link")?.textContent === "ChatGPT conversation 3"
        );
        await page.getByRole("button", { name: "All chats" }).click();
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 1);
      });

      await t.step("importing it again adds nothing and says so", async () => {
        await page.locator(".import-input").setInputFiles(
          new URL("chatgpt_conversations.json", FIXTURES).pathname,
        );
        await page.waitForFunction(() =>
          document.querySelector(".import-result")?.textContent?.includes("2 were already here")
        );
        assert.equal((await titles(page)).length, 1);
      });

      await t.step("a file that is not an export: a clear error, nothing imported", async () => {
        await page.locator(".import-input").setInputFiles(new URL("not_json.txt", FIXTURES).pathname);
        await page.waitForSelector(".import-error");
        assert.match(
          await page.locator(".import-error").textContent() ?? "",
          /^Nothing was imported: This is not a JSON export/,
        );
        assert.equal((await titles(page)).length, 1);
      });

      await t.step("Export all downloads the JSON export", async () => {
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.locator(".export-all").click(),
        ]);
        assert.match(download.suggestedFilename(), /^mini-claude-export-\d{4}-\d{2}-\d{2}\.json$/);
        const doc = JSON.parse(await Deno.readTextFile((await download.path())!));
        assert.equal(doc.format, "mini-claude.export");
        assert.equal(doc.conversations.length, 2);
      });

      await t.step("a conversation's options download it as Markdown", async () => {
        await page.getByRole("button", { name: "Options for “Reverse a list”" }).click();
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.locator(".row-export-md").click(),
        ]);
        assert.equal(download.suggestedFilename(), "reverse-a-list.md");
        const text = await Deno.readTextFile((await download.path())!);
        assert.match(text, /^# Reverse a list\n/);
        assert.ok(text.includes("Use `list(reversed(xs))`."));
      });

      assert.deepEqual(problems.filter((p) => !p.includes("400")), []);
    } finally {
      await fx.close();
    }
  },
});
