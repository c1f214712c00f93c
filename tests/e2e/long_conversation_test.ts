/**
 * A long conversation in the browser: the server sends each message's actions row empty and the
 * buttons arrive with hydration. Holding the island's script back shows the page as the server
 * sent it; once it runs, nothing has moved (every message's place and height are the same),
 * hydration kept the server's elements (no mismatch: Preact replaces what it cannot match), and the
 * buttons are there and work (Copy, Edit, the version switcher), with zero axe-core violations.
 */
import assert from "node:assert/strict";
import { axeViolations, formatViolations } from "../_helpers/axe.ts";
import { browserAvailable, openPage } from "../_helpers/browser.ts";
import { fillerText, seedLongConversation } from "../_helpers/long_conversation.ts";
import { SessionSigner } from "../../lib/security/session.ts";
import { startChatFixture } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: a long conversation before and after hydration");
const SECRET = "long-conversation-secret-0123456789ab";
const MESSAGES = 60;
/** Conversations in the sidebar besides the long one (long titles: the row's buttons take room). */
const SIDEBAR = 5;

/**
 * Each message's top (from the list's top) and height, each sidebar title's box, and the buttons
 * of both lists.
 */
function layout(): {
  boxes: number[][];
  titles: number[][];
  buttons: number;
  rowButtons: number;
  versions: string[];
} {
  const round = (n: number) => Math.round(n * 100) / 100;
  const list = document.querySelector(".messages")!.getBoundingClientRect();
  return {
    boxes: [...document.querySelectorAll(".message")].map((el) => {
      const box = el.getBoundingClientRect();
      return [round(box.top - list.top), round(box.height)];
    }),
    titles: [...document.querySelectorAll(".conversation-link")].map((el) => {
      const box = el.getBoundingClientRect();
      return [round(box.left), round(box.top), round(box.width), round(box.height)];
    }),
    buttons: document.querySelectorAll(".messages button").length,
    rowButtons: document.querySelectorAll(".conversation-list button").length,
    versions: [...document.querySelectorAll(".branch-count")].map((el) => el.textContent ?? ""),
  };
}

Deno.test({
  name: "a long conversation: the actions row arrives with hydration, nothing moves, the buttons work",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const fx = await startChatFixture({ env: { SESSION_SECRET: SECRET } });
    try {
      const { db } = fx.server.services;
      const owner = SessionSigner.newId();
      const long = await seedLongConversation(db, owner, MESSAGES);
      // A second version of the last reply: its version switcher is content, rendered by the server.
      const second = fillerText(999, 30);
      await db.appendMessage(owner, long.id, {
        role: "assistant",
        content: second,
        parentId: long.ids[MESSAGES - 2],
      });
      for (let i = 1; i <= SIDEBAR; i++) {
        await db.createConversation(owner, { title: `Conversation ${i}: ${fillerText(i, 12)}` });
      }
      const { page, problems } = await openPage(fx.browser);
      const session = await (await SessionSigner.create([SECRET])).sign(owner);
      await page.context().addCookies([{ name: "mc_session", value: session, url: fx.server.url }]);
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);

      // The island's script waits until the server's page has been measured.
      let release = () => {};
      const held = new Promise<void>((resolve) => release = resolve);
      await page.route("**/_islands/**", async (route) => {
        await held;
        await route.continue();
      });
      await page.goto(`${fx.server.url}/c/${long.id}`, { waitUntil: "commit" });
      await page.waitForFunction(
        (n) =>
          document.readyState !== "loading" && document.querySelectorAll(".message").length === n &&
          [...document.querySelectorAll<HTMLLinkElement>("link[rel=stylesheet]")].every((l) => l.sheet),
        MESSAGES,
      );

      const before = await page.evaluate(() => {
        const kept = [...document.querySelectorAll(".message, .message .markdown, .message-actions")];
        const seen = globalThis as unknown as {
          serverNodes: Element[];
          createdWhileHydrating: string[] | null;
        };
        seen.serverNodes = kept;
        // Elements Preact adds before the boot script marks the page hydrated are elements it could
        // not match in the server's HTML (a hydration mismatch); the buttons come later, from the
        // effect that sets the island's "ready" state.
        const created: string[] = [];
        new MutationObserver((records) => {
          for (const r of records) {
            if (r.type === "attributes") seen.createdWhileHydrating ??= [...created];
            for (const node of r.addedNodes) {
              if (node instanceof Element) created.push(`${node.localName}.${node.className}`);
            }
          }
        }).observe(document.documentElement, {
          subtree: true,
          childList: true,
          attributeFilter: ["data-hydrated"],
        });
        seen.createdWhileHydrating = null;
        return kept.length;
      });
      const server = await page.evaluate(layout);

      await t.step("as sent: every message, empty action rows, only the version switcher", () => {
        assert.equal(before, 3 * MESSAGES);
        assert.equal(server.boxes.length, MESSAGES);
        assert.equal(server.buttons, 2, "the switcher's two buttons, no others");
        assert.equal(server.titles.length, SIDEBAR + 1);
        assert.equal(server.rowButtons, 0, "no sidebar row buttons before hydration");
        assert.deepEqual(server.versions, ["2 / 2"]);
      });

      release();
      await page.waitForSelector("html[data-hydrated=true]");
      await page.waitForFunction(
        (n) => document.querySelectorAll(".messages .copy-message").length === n,
        MESSAGES,
      );

      await t.step("hydrated: nothing moved, the server's elements were kept", async () => {
        const hydrated = await page.evaluate(layout);
        assert.deepEqual(hydrated.boxes, server.boxes);
        assert.deepEqual(hydrated.titles, server.titles);
        assert.equal(hydrated.rowButtons, 3 * (SIDEBAR + 1), "options, rename and delete on every row");
        assert.deepEqual(hydrated.versions, ["2 / 2"]);
        // Copy on every message; Edit on every message; Speak and Regenerate on every reply.
        assert.equal(hydrated.buttons, 2 + MESSAGES * 2 + (MESSAGES / 2) * 2);
        const kept = await page.evaluate(() => {
          const now = [...document.querySelectorAll(".message, .message .markdown, .message-actions")];
          const old = (globalThis as unknown as { serverNodes: Element[] }).serverNodes;
          return old.length === now.length && old.every((el, i) => el === now[i] && el.isConnected);
        });
        assert.equal(kept, true, "hydration reused every server-rendered message element");
        const created = await page.evaluate(() =>
          (globalThis as unknown as { createdWhileHydrating: string[] | null }).createdWhileHydrating
        );
        assert.deepEqual(created, [], "hydration created no element (no mismatch with the server's HTML)");
      });

      await t.step("the buttons work: Copy, Edit, the version switcher", async () => {
        await page.locator(".message-user").first().locator("button.copy-message").click();
        await page.waitForSelector(".message-user button.copy-message[data-copied]");
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), long.contents[0]);

        await page.locator(".message-assistant").first().locator("button.edit-reply").click();
        assert.equal(await page.locator(".editor-input").inputValue(), long.contents[1]);
        await page.locator(".editor-input").press("Escape");
        await page.waitForSelector(".editor-input", { state: "detached" });

        const last = page.locator(".message-assistant").last();
        assert.equal((await last.locator(".markdown").textContent())?.trim(), second);
        await page.getByRole("button", { name: "Previous version of this reply" }).click();
        await page.waitForFunction(() =>
          document.querySelector(".message-assistant:last-child .branch-count")?.textContent === "1 / 2"
        );
        assert.equal((await last.locator(".markdown").textContent())?.trim(), long.contents[MESSAGES - 1]);
      });

      await t.step("zero axe-core violations; no console errors", async () => {
        const violations = await axeViolations(page);
        assert.deepEqual(formatViolations("the long conversation", violations), []);
        assert.deepEqual(problems, []);
      });
    } finally {
      await fx.close();
    }
  },
});
