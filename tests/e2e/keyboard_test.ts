import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { browserAvailable } from "../_helpers/browser.ts";
import { openChat, readMessages, startChatFixture, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: keyboard and screen readers");

/** A selector-matching description of the focused element. */
function focused(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
}

/** Waits until the element matching `selector` has focus (focus moves after a render). */
async function expectFocus(page: Page, selector: string): Promise<void> {
  await page.waitForFunction((s) => document.activeElement?.matches(s), selector);
}

/** Presses Tab (or Shift+Tab) until the focused element matches `selector`; fails after `max` presses. */
async function tabTo(
  page: Page,
  selector: string,
  opts: { back?: boolean; max?: number } = {},
): Promise<void> {
  const max = opts.max ?? 60;
  for (let i = 0; i < max; i++) {
    if (await focused(page, selector)) return;
    await page.keyboard.press(opts.back ? "Shift+Tab" : "Tab");
  }
  assert.ok(await focused(page, selector), `Tab never reached ${selector}`);
}

/** Text of the polite live region. */
function announced(page: Page): Promise<string> {
  return page.evaluate(() => document.querySelector("[data-testid=announcer]")?.textContent?.trim() ?? "");
}

Deno.test({
  name: "keyboard only: new chat, type, send, hear the reply, regenerate, edit/Esc, rename, delete",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const fx = await startChatFixture();
    try {
      const { page, problems } = await openChat(fx, "/");
      const k = page.keyboard;

      await t.step(
        "type and send; the live region says it is writing, then reads the reply once",
        async () => {
          await k.press("/");
          await expectFocus(page, "#composer-input");
          assert.equal(await page.getAttribute("#composer-input", "dir"), "auto");
          await k.type("[[stub:slow:40]] keyboard only please");
          await k.press("Enter");
          await page.waitForFunction(() =>
            document.querySelector("[data-testid=announcer]")?.textContent ===
              "Mini-Claude is writing a reply…"
          );
          await waitIdle(page);
          await page.waitForFunction(() =>
            document.querySelector("[data-testid=announcer]")?.textContent?.startsWith("Mini-Claude replied")
          );
          assert.equal(await announced(page), "Mini-Claude replied: Echo: keyboard only please.");
          assert.deepEqual((await readMessages(page)).map((m) => m[2]), [
            "[[stub:slow:40]] keyboard only please",
            "Echo: keyboard only please",
          ]);
          assert.equal(await page.locator(".message-body[dir=auto]").count(), 2);
          // The tab title follows the conversation's title.
          await page.waitForFunction(() =>
            document.title.endsWith(" · Mini-Claude") && document.title.includes("keyboard")
          );
        },
      );

      await t.step("Regenerate with Tab and Enter", async () => {
        const before = fx.stub.requests.length;
        await tabTo(page, ".message-assistant button.regenerate");
        await k.press("Enter");
        await waitIdle(page);
        assert.equal(fx.stub.requests.length, before + 1);
        assert.deepEqual((await readMessages(page)).at(-1), [
          "assistant",
          "complete",
          "Echo: keyboard only please",
        ]);
      });

      await t.step("Edit opens the editor; Esc closes it and focus returns to Edit", async () => {
        await tabTo(page, ".message-user button.edit-message", { back: true });
        await k.press("Enter");
        await page.waitForSelector(".message-editor textarea");
        await expectFocus(page, ".message-editor textarea");
        await k.press("Escape");
        await page.waitForSelector(".message-editor", { state: "detached" });
        await page.waitForFunction(() =>
          document.activeElement?.matches(".message-user button.edit-message")
        );
      });

      await t.step("rename: Enter saves, focus returns to the conversation's link", async () => {
        await tabTo(page, ".conversation-item.active button.rename", { back: true });
        await k.press("Enter");
        await page.waitForSelector(".rename-input");
        await expectFocus(page, ".rename-input");
        await k.press("Control+A");
        await k.type("Renamed by keyboard");
        await k.press("Enter");
        await page.waitForFunction(() =>
          document.activeElement?.matches(".conversation-item.active .conversation-link") &&
          document.activeElement.textContent === "Renamed by keyboard"
        );
        assert.equal(await page.locator(".chat-title").textContent(), "Renamed by keyboard");
        await page.waitForFunction(() => document.title === "Renamed by keyboard · Mini-Claude");
      });

      await t.step(
        "delete: Esc cancels back to Delete; Enter twice deletes; focus goes to New chat",
        async () => {
          await tabTo(page, ".conversation-item.active button.delete");
          await k.press("Enter");
          await page.waitForSelector(".confirm-delete");
          await expectFocus(page, ".confirm-yes");
          await k.press("Escape");
          await page.waitForSelector(".confirm-delete", { state: "detached" });
          await expectFocus(page, ".conversation-item.active button.delete");
          await k.press("Enter");
          await page.waitForSelector(".confirm-yes");
          await k.press("Enter");
          await page.waitForSelector(".conversation-item", { state: "detached" });
          await page.waitForFunction(() => document.activeElement?.matches(".new-chat"));
          assert.equal(new URL(page.url()).pathname, "/");
          assert.equal(
            (await page.request.get(fx.server.url + "/api/conversations").then((r) => r.json())).length,
            0,
          );
        },
      );

      await t.step("New chat with Ctrl+Shift+O; the theme shortcut switches the theme", async () => {
        const theme = await page.getAttribute("html", "data-theme");
        await k.press("Control+Shift+L");
        await page.waitForFunction((t) => document.documentElement.dataset.theme !== t, theme);
        await k.press("Control+Shift+O");
        await page.waitForURL(fx.server.url + "/");
        await page.waitForSelector("html[data-hydrated=true]");
        assert.equal(await page.locator(".demo-note").count(), 0, "a hosted model needs no demo note");
      });

      assert.deepEqual(problems, []);
    } finally {
      await fx.close();
    }
  },
});

Deno.test({
  name: "keyboard: the 375 px drawer traps Tab while open and gives focus back on Esc",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const fx = await startChatFixture();
    try {
      const { page, problems } = await openChat(fx, "/", { width: 375, height: 740 });
      await tabTo(page, ".menu-toggle");
      await page.keyboard.press("Enter");
      await page.waitForSelector(".sidebar.open");
      await page.waitForFunction(() => document.activeElement?.matches(".sidebar-close"));
      const count = await page.evaluate(() =>
        [...document.querySelectorAll("#sidebar a[href], #sidebar button, #sidebar input")]
          .filter((el) => el.getClientRects().length > 0).length
      );
      for (let i = 0; i < count * 2 + 1; i++) {
        await page.keyboard.press(i % 3 === 2 ? "Shift+Tab" : "Tab");
        assert.ok(
          await page.evaluate(() => document.getElementById("sidebar")!.contains(document.activeElement)),
          `focus left the drawer after ${i + 1} presses`,
        );
      }
      assert.equal(await page.evaluate(() => (document.querySelector(".main") as HTMLElement).inert), true);
      await page.keyboard.press("Escape");
      // Attached, not visible: once the closing transition ends the closed drawer is hidden.
      await page.waitForSelector(".sidebar:not(.open)", { state: "attached" });
      await page.waitForFunction(() => document.activeElement?.matches(".menu-toggle"));
      assert.equal(await page.evaluate(() => (document.querySelector(".main") as HTMLElement).inert), false);
      assert.deepEqual(problems, []);
    } finally {
      await fx.close();
    }
  },
});

Deno.test({
  name: "composer: a counter near the limit; an over-long first message creates no conversation; no-JS note",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const fx = await startChatFixture();
    try {
      const { page, problems } = await openChat(fx, "/");
      assert.equal(await page.locator(".composer-count").count(), 0);
      await page.fill("#composer-input", "a".repeat(29_000));
      assert.equal(await page.locator(".composer-count").textContent(), "29,000 / 32,000 characters");
      await page.fill("#composer-input", "b".repeat(32_001));
      assert.equal(
        await page.locator(".composer-count").textContent(),
        "32,001 / 32,000 characters: too long to send",
      );
      assert.equal(await page.getAttribute("#composer-input", "aria-invalid"), "true");
      assert.equal(await page.locator(".composer-send").isDisabled(), true);
      await page.locator("#composer-input").press("Enter");
      assert.equal(new URL(page.url()).pathname, "/");
      const list = await page.request.get(fx.server.url + "/api/conversations").then((r) => r.json());
      assert.deepEqual(list, [], "no empty conversation was left behind");
      assert.equal(await page.locator(".no-js-note").isVisible(), false);
      assert.deepEqual(problems, []);

      const context = await fx.browser.newContext({ javaScriptEnabled: false });
      const noJs = await context.newPage();
      await noJs.goto(fx.server.url + "/");
      assert.equal(
        await noJs.locator(".no-js-note").textContent(),
        "Sending messages needs JavaScript. Conversations stay readable without it.",
      );
      assert.equal(await noJs.locator(".no-js-note").isVisible(), true);
      await context.close();
    } finally {
      await fx.close();
    }
  },
});
