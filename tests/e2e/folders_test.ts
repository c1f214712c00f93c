import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { axeViolations } from "../_helpers/axe.ts";
import { browserAvailable } from "../_helpers/browser.ts";
import { openChat, sendMessage, startChatFixture, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: folders");

/** Titles in the sidebar, top to bottom. */
function titles(page: Page): Promise<string[]> {
  return page.$$eval(
    ".conversation-link",
    (els) => els.map((e) => (e.textContent ?? "").replace("📌Pinned:", "")),
  );
}

async function api<T>(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  return await page.evaluate(async ([method, path, body]) => {
    const res = await fetch(path as string, {
      method: method as string,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  }, [method, path, body] as const) as { status: number; body: T };
}

/**
 * Polls the API from the page until `done` accepts the answer (page.waitForFunction would take the
 * Promise an async predicate returns as truthy at once). Bounded: fails after 10 s, naming `what`.
 */
async function waitForApi<T>(page: Page, path: string, done: (body: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await api<T>(page, "GET", path);
    if (res.status === 200 && done(res.body)) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name: "folders: create, move by keyboard menu and by drag, pin, archive, folder defaults, delete, More",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const fx = await startChatFixture();
    try {
      const { page, problems } = await openChat(fx);
      for (const title of ["Alpha", "Beta", "Gamma"]) {
        assert.equal((await api(page, "POST", "/api/conversations", { title })).status, 201);
      }
      await page.reload();
      await page.waitForSelector("html[data-hydrated=true]");
      assert.deepEqual(await titles(page), ["Gamma", "Beta", "Alpha"]);
      let folderId = "";

      await t.step("create a folder inline; its view opens, empty", async () => {
        await page.getByRole("button", { name: "New folder" }).click();
        await page.getByLabel("New folder name").fill("Work");
        await page.getByLabel("New folder name").press("Enter");
        await page.waitForSelector(".folder-view[aria-pressed=true]:has-text('Work')");
        await page.waitForSelector(".conversation-empty");
        const folders = await api<{ id: string; name: string }[]>(page, "GET", "/api/folders");
        assert.deepEqual(folders.body.map((f) => f.name), ["Work"]);
        folderId = folders.body[0].id;
      });

      await t.step("Move to… with the keyboard only", async () => {
        await page.getByRole("button", { name: "All chats" }).click();
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 3);
        const toggle = page.getByRole("button", { name: "Options for “Alpha”" });
        await toggle.focus();
        await page.keyboard.press("Enter");
        await page.waitForFunction(() => document.activeElement?.classList.contains("row-pin"));
        assert.deepEqual(
          await axeViolations(page, ".conversation-item:has(.row-menu)"),
          [],
          "the open row options pass axe-core",
        );
        for (const _ of ["Archive", "Export Markdown", "Export JSON", "Move to…"]) {
          await page.keyboard.press("Tab");
        }
        assert.equal(await page.evaluate(() => document.activeElement?.className), "row-move-select");
        await page.locator(".row-move-select").selectOption({ label: "Work" });
        await page.waitForFunction(() => !document.querySelector(".row-menu"));
        // The menu closes at once; the move is saved by the request it starts.
        const moved = await waitForApi<{ title: string }[]>(
          page,
          `/api/conversations?folder=${folderId}`,
          (list) => list.length > 0,
          "the move to be saved",
        );
        assert.deepEqual(moved.map((c) => c.title), ["Alpha"]);
      });

      await t.step("Escape closes the options and returns focus to their button", async () => {
        const toggle = page.getByRole("button", { name: "Options for “Beta”" });
        await toggle.click();
        await page.waitForSelector(".row-menu");
        await page.keyboard.press("Escape");
        await page.waitForFunction(() => !document.querySelector(".row-menu"));
        assert.equal(await toggle.evaluate((el) => el === document.activeElement), true);
      });

      await t.step("drag a conversation onto the folder", async () => {
        await page.locator(".conversation-item", { hasText: "Beta" }).dragTo(
          page.locator(".folder-view", { hasText: "Work" }),
        );
        await waitForApi<unknown[]>(
          page,
          `/api/conversations?folder=${folderId}`,
          (list) => list.length === 2,
          "the dragged conversation to be in the folder",
        );
        await page.locator(".folder-view", { hasText: "Work" }).click();
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 2);
        assert.deepEqual(await titles(page), ["Beta", "Alpha"]);
      });

      await t.step("pin puts a conversation on top; archive hides it from All chats", async () => {
        await page.getByRole("button", { name: "All chats" }).click();
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 3);
        await page.getByRole("button", { name: "Options for “Alpha”" }).click();
        await page.locator(".row-pin").click();
        await page.waitForFunction(() =>
          document.querySelector(".conversation-link")?.textContent?.includes("Alpha")
        );
        assert.deepEqual(await titles(page), ["Alpha", "Gamma", "Beta"]);
        await page.getByRole("button", { name: "Options for “Gamma”" }).click();
        await page.locator(".row-archive").click();
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 2);
        assert.deepEqual(await titles(page), ["Alpha", "Beta"]);
        await page.getByRole("button", { name: "Archived" }).click();
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 1);
        assert.deepEqual(await titles(page), ["Gamma"]);
      });

      await t.step("folder defaults apply to a new chat started in the folder", async () => {
        await page.locator(".folder-view", { hasText: "Work" }).click();
        await page.waitForSelector(".folder-panel");
        assert.deepEqual(
          [...await axeViolations(page, ".folders"), ...await axeViolations(page, ".folder-panel")],
          [],
          "folders and the folder panel pass axe-core",
        );
        await page.getByLabel("System prompt for new chats").fill("Answer as a pirate.");
        await page.locator(".folder-save").click();
        await waitForApi<{ systemPrompt: string }>(
          page,
          `/api/folders/${folderId}`,
          (folder) => folder.systemPrompt === "Answer as a pirate.",
          "the folder's system prompt to be saved",
        );
        await page.locator(".folder-new-chat").click();
        await page.waitForURL(`**/?folder=${folderId}`);
        await page.waitForSelector("html[data-hydrated=true]");
        await sendMessage(page, "ahoy there");
        await waitIdle(page);
        const id = new URL(page.url()).pathname.split("/").pop()!;
        const conv = await api<{ systemPrompt: string; folderId: string }>(
          page,
          "GET",
          `/api/conversations/${id}`,
        );
        assert.deepEqual([conv.body.systemPrompt, conv.body.folderId], ["Answer as a pirate.", folderId]);
        const sent = fx.stub.requests.at(-1)!.body as { systemInstruction?: { parts: { text: string }[] } };
        assert.equal(sent.systemInstruction?.parts[0].text, "Answer as a pirate.");
      });

      await t.step("deleting the folder keeps its conversations", async () => {
        await page.locator(".folder-view", { hasText: "Work" }).click();
        await page.locator(".folder-delete").click();
        await page.locator(".folder-delete-yes").click();
        await page.waitForFunction(() => !document.querySelector(".folder-panel"));
        const all = await api<{ folderId: string | null }[]>(page, "GET", "/api/conversations?limit=500");
        assert.equal(all.body.length, 4);
        assert.ok(all.body.every((c) => c.folderId === null));
      });

      await t.step("the list pages beyond the newest 100 with More", async () => {
        const { db } = fx.server.services;
        const [row] = await db.sql`select owner_id from conversations limit 1`;
        await db.sql`
          insert into conversations (owner_id, title)
          select ${row.owner_id as string}, 'Bulk ' || g from generate_series(1, 120) g`;
        await page.goto(fx.server.url + "/");
        await page.waitForSelector("html[data-hydrated=true]");
        // 1 pinned + the 100 newest others.
        assert.equal((await titles(page)).length, 101);
        await page.locator(".more-conversations").click();
        await page.waitForFunction(() => document.querySelectorAll(".conversation-link").length === 123);
        assert.equal(await page.locator(".more-conversations").count(), 0);
        const shown = await titles(page);
        assert.equal(new Set(shown).size, 123, "no conversation shown twice");
      });

      assert.deepEqual(problems, []);
    } finally {
      await fx.close();
    }
  },
});
