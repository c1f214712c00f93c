import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { browserAvailable } from "../_helpers/browser.ts";
import { openChat, startChatFixture } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: chat sidebar");

/** Titles in the sidebar, top to bottom. */
function titles(page: Page): Promise<string[]> {
  return page.$$eval(".conversation-link", (els) => els.map((e) => e.textContent ?? ""));
}

Deno.test({
  name: "sidebar: filter by title, rename inline, delete with confirm, new-chat shortcut",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const fx = await startChatFixture();
    try {
      const { page, problems } = await openChat(fx);
      // Three conversations of this browser session, made through the API with the page's cookie.
      for (const title of ["Trip to Lisbon", "Tax questions", "Lisbon food"]) {
        const status = await page.evaluate(async (title) => {
          const res = await fetch("/api/conversations", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ title }),
          });
          return res.status;
        }, title);
        assert.equal(status, 201);
      }
      await page.reload();
      await page.waitForSelector("html[data-hydrated=true]");
      assert.deepEqual(await titles(page), ["Lisbon food", "Tax questions", "Trip to Lisbon"]);

      await t.step("typing in the filter narrows the list by title", async () => {
        await page.locator(".filter-input").fill("lisbon");
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 2);
        assert.deepEqual(await titles(page), ["Lisbon food", "Trip to Lisbon"]);
        await page.locator(".filter-input").fill("nothing like this");
        await page.waitForSelector(".conversation-empty");
        await page.locator(".filter-input").fill("");
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 3);
      });

      await t.step("the filter also works without JavaScript (?q= rendered by the server)", async () => {
        const context = await fx.browser.newContext({ javaScriptEnabled: false });
        await context.addCookies(await page.context().cookies());
        const noJs = await context.newPage();
        await noJs.goto(fx.server.url + "/?q=tax");
        assert.deepEqual(await titles(noJs), ["Tax questions"]);
        await context.close();
      });

      await t.step("rename inline: Enter saves, the server keeps it", async () => {
        const row = page.locator(".conversation-item", { hasText: "Tax questions" });
        await row.hover();
        await row.locator("button.rename").click();
        const input = page.locator(".rename-input");
        await input.fill("Taxes 2025");
        await input.press("Enter");
        await page.waitForFunction(() =>
          [...document.querySelectorAll(".conversation-link")].some((e) => e.textContent === "Taxes 2025")
        );
        await page.reload();
        await page.waitForSelector("html[data-hydrated=true]");
        assert.deepEqual((await titles(page)).sort(), ["Lisbon food", "Taxes 2025", "Trip to Lisbon"]);
      });

      await t.step("rename: Esc cancels", async () => {
        const row = page.locator(".conversation-item", { hasText: "Lisbon food" });
        await row.hover();
        await row.locator("button.rename").click();
        await page.locator(".rename-input").fill("Should not stick");
        await page.locator(".rename-input").press("Escape");
        await page.waitForSelector(".rename-input", { state: "detached" });
        assert.ok((await titles(page)).includes("Lisbon food"));
      });

      await t.step("delete asks first; Cancel keeps, Delete removes (also on the server)", async () => {
        const row = page.locator(".conversation-item", { hasText: "Trip to Lisbon" });
        await row.hover();
        await row.locator("button.delete").click();
        await row.locator("button.confirm-no").click();
        assert.equal((await titles(page)).length, 3);
        await row.hover();
        await row.locator("button.delete").click();
        await row.locator("button.confirm-yes").click();
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 2);
        const list = await page.evaluate(async () =>
          (await (await fetch("/api/conversations")).json()) as { title: string }[]
        );
        assert.deepEqual(list.map((c) => c.title).sort(), ["Lisbon food", "Taxes 2025"]);
      });

      await t.step("deleting the open conversation returns to a new chat", async () => {
        await page.locator(".conversation-link", { hasText: "Lisbon food" }).click();
        await page.waitForURL(/\/c\//);
        await page.waitForSelector("html[data-hydrated=true]");
        const row = page.locator(".conversation-item.active");
        await row.locator("button.delete").click();
        await row.locator("button.confirm-yes").click();
        await page.waitForURL((url) => url.pathname === "/");
        assert.equal(await page.locator(".chat-title").textContent(), "New chat");
        assert.deepEqual(await titles(page), ["Taxes 2025"]);
      });

      await t.step("keyboard: '/' focuses the composer, Ctrl+Shift+O opens a new chat", async () => {
        await page.locator(".conversation-link").first().click();
        await page.waitForURL(/\/c\//);
        await page.waitForSelector("html[data-hydrated=true]");
        await page.locator("body").click({ position: { x: 600, y: 300 } });
        await page.keyboard.press("/");
        assert.equal(await page.evaluate(() => document.activeElement?.id), "composer-input");
        assert.equal(await page.locator("#composer-input").inputValue(), "");
        await page.keyboard.press("Control+Shift+O");
        await page.waitForURL((url) => url.pathname === "/");
      });

      assert.deepEqual(problems, []);
    } finally {
      await fx.close();
    }
  },
});
