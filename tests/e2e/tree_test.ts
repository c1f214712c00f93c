/**
 * Versions in the browser: regenerate twice and step through 1/3…3/3 (mouse and keyboard), edit an
 * early message and switch back, a reload keeps the chosen branch, a reply's text edited by hand,
 * and Continue on a stopped reply.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { axeViolations } from "../_helpers/axe.ts";
import { browserAvailable } from "../_helpers/browser.ts";
import { openChat, readMessages, sendMessage, startChatFixture, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: message tree");

/** The "n / m" of the switcher on the last message of `role`, or null without one. */
async function versionOf(page: Page, role: "user" | "assistant", index = -1): Promise<string | null> {
  const all = page.locator(`.message-${role}`);
  const n = await all.count();
  const el = all.nth(index < 0 ? n + index : index).locator(".branch-count");
  return (await el.count()) === 0 ? null : (await el.textContent())?.replace(/\s+/g, " ").trim() ?? null;
}

async function texts(page: Page): Promise<string[]> {
  return (await readMessages(page)).map((m) => m[2]);
}

async function reload(page: Page): Promise<void> {
  await page.reload();
  await page.waitForSelector("html[data-hydrated=true]");
}

Deno.test({
  name: "message tree in the browser: versions, branches, reload, reply edits, continue",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const fx = await startChatFixture();
    try {
      const { page, problems } = await openChat(fx);

      await t.step("regenerate twice, then navigate 1/3…3/3 with the buttons and the keyboard", async () => {
        await sendMessage(page, "one two three four");
        await waitIdle(page);
        // Different reply lengths make the three versions tell apart.
        fx.stub.setOptions({ replyTokens: 2 });
        await page.locator(".message-assistant").last().locator("button.regenerate").click();
        await waitIdle(page);
        await page.waitForFunction(() => document.querySelector(".message-assistant .branch-count"));
        assert.equal(await versionOf(page, "assistant"), "2 / 2");
        fx.stub.setOptions({ replyTokens: 3 });
        await page.locator(".message-assistant").last().locator("button.regenerate").click();
        await waitIdle(page);
        fx.stub.setOptions({ replyTokens: undefined });
        await page.waitForFunction(() =>
          document.querySelector(".message-assistant .branch-count")?.textContent?.includes("3 / 3")
        );
        assert.deepEqual(await texts(page), ["one two three four", "Echo: one two"]);

        const previous = page.getByRole("button", { name: "Previous version of this reply" });
        const next = page.getByRole("button", { name: "Next version of this reply" });
        assert.equal(await next.isDisabled(), true, "3 / 3 has no next");
        await previous.click();
        await page.waitForFunction(() =>
          document.querySelector(".message-assistant .branch-count")?.textContent?.includes("2 / 3")
        );
        assert.deepEqual(await texts(page), ["one two three four", "Echo: one"]);
        // Keyboard: focus stays on the switcher, Enter steps again.
        await page.waitForFunction(() => document.activeElement?.classList.contains("branch-previous"));
        await page.keyboard.press("Enter");
        await page.waitForFunction(() =>
          document.querySelector(".message-assistant .branch-count")?.textContent?.includes("1 / 3")
        );
        assert.deepEqual(await texts(page), ["one two three four", "Echo: one two three four"]);
        assert.equal(await previous.isDisabled(), true, "1 / 3 has no previous");
        assert.equal(
          await page.getByRole("group", { name: "Version 1 of 3 of this reply" }).count(),
          1,
        );
        await page.waitForFunction(() => document.activeElement?.classList.contains("branch-next"));
        await page.keyboard.press("Space");
        await page.waitForFunction(() =>
          document.querySelector(".message-assistant .branch-count")?.textContent?.includes("2 / 3")
        );
        assert.deepEqual(await texts(page), ["one two three four", "Echo: one"]);

        await reload(page);
        assert.equal(await versionOf(page, "assistant"), "2 / 3", "the server renders the chosen version");
        assert.deepEqual(await texts(page), ["one two three four", "Echo: one"]);
        // The switcher, the edit and regenerate buttons pass axe-core's WCAG A/AA rules, in both themes.
        assert.deepEqual(await axeViolations(page, ".messages"), []);
        const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const light = await background();
        await page.emulateMedia({ colorScheme: "dark" });
        assert.notEqual(await background(), light, "the dark theme is in effect");
        assert.deepEqual(await axeViolations(page, ".messages"), [], "dark theme");
        await page.emulateMedia({ colorScheme: "light" });
      });

      await t.step(
        "edit an early message, then switch back to the original branch; reload keeps it",
        async () => {
          await sendMessage(page, "second question");
          await waitIdle(page);
          assert.deepEqual(await texts(page), [
            "one two three four",
            "Echo: one",
            "second question",
            "Echo: second question",
          ]);
          await page.locator(".message-user").first().getByRole("button", { name: "Edit your message" })
            .click();
          const editor = page.locator(".message-editor textarea");
          await editor.fill("a different start");
          await editor.press("Enter");
          await waitIdle(page);
          await page.waitForFunction(() => document.querySelector(".message-user .branch-count"));
          assert.deepEqual(await texts(page), ["a different start", "Echo: a different start"]);
          assert.equal(await versionOf(page, "user", 0), "2 / 2");

          await page.getByRole("button", { name: "Previous version of this message" }).click();
          await page.waitForFunction(() => document.querySelectorAll(".message").length === 4);
          assert.deepEqual(await texts(page), [
            "one two three four",
            "Echo: one",
            "second question",
            "Echo: second question",
          ]);
          assert.equal(await versionOf(page, "user", 0), "1 / 2");
          assert.equal(
            await versionOf(page, "assistant", 0),
            "2 / 3",
            "the reply version chosen before is kept",
          );
          await reload(page);
          assert.deepEqual(await texts(page), [
            "one two three four",
            "Echo: one",
            "second question",
            "Echo: second question",
          ]);
          await page.getByRole("button", { name: "Next version of this message" }).click();
          await page.waitForFunction(() => document.querySelectorAll(".message").length === 2);
          assert.deepEqual(await texts(page), ["a different start", "Echo: a different start"]);
        },
      );

      await t.step("a reply's text edited by hand becomes a new version", async () => {
        await page.locator(".message-assistant").last().getByRole("button", { name: "Edit the reply's text" })
          .click();
        const editor = page.getByRole("textbox", { name: "Edit the reply's text" });
        await editor.fill("A **better** answer");
        await editor.press("Enter"); // a newline in a reply editor, not a save
        await editor.press("Control+Enter");
        await page.waitForSelector(".message-editor", { state: "detached" });
        await page.waitForFunction(() =>
          document.querySelector(".message-assistant:last-child .branch-count")?.textContent?.includes(
            "2 / 2",
          )
        );
        assert.deepEqual(await texts(page), ["a different start", "A better answer"]);
        assert.equal(
          await page.locator(".message-assistant").last().locator("strong").textContent(),
          "better",
        );
        await reload(page);
        assert.deepEqual(await texts(page), ["a different start", "A better answer"]);
      });

      await t.step("Continue finishes a stopped reply in place", async () => {
        await sendMessage(page, "[[stub:slow:150]] red green blue cyan magenta yellow black white");
        await page.waitForSelector(".message-assistant[data-status=streaming] .markdown");
        await page.getByRole("button", { name: "Stop the reply (Esc)" }).click();
        await waitIdle(page);
        const last = page.locator(".message-assistant").last();
        assert.equal(await last.getAttribute("data-status"), "stopped");
        const partial = (await texts(page)).at(-1)!;
        assert.match(partial, /^Echo:/);
        const count = await page.locator(".message").count();
        await last.getByRole("button", { name: "Continue the reply" }).click();
        await waitIdle(page);
        await page.waitForFunction(() =>
          document.querySelector(".message-assistant:last-child")?.getAttribute("data-status") === "complete"
        );
        assert.equal(await page.locator(".message").count(), count, "no new message");
        const whole = (await texts(page)).at(-1)!;
        assert.ok(whole.startsWith(partial), `${whole} continues ${partial}`);
        assert.ok(whole.length > partial.length);
        assert.equal(await last.locator("button.continue-reply").count(), 0);
      });

      await t.step("Regenerate on an earlier reply answers its question again as a new version", async () => {
        assert.equal(await page.locator(".message").count(), 4);
        await page.locator(".message-assistant").first().getByRole("button", { name: "Regenerate the reply" })
          .click();
        await waitIdle(page);
        await page.waitForFunction(() => document.querySelectorAll(".message").length === 2);
        await page.waitForFunction(() =>
          document.querySelector(".message-assistant .branch-count")?.textContent?.includes("3 / 3")
        );
        assert.deepEqual(await texts(page), ["a different start", "Echo: a different start"]);
        await page.getByRole("button", { name: "Previous version of this reply" }).click();
        await page.waitForFunction(() => document.querySelectorAll(".message").length === 4);
        assert.equal((await texts(page))[1], "A better answer");
      });

      assert.deepEqual(problems, []);
    } finally {
      await fx.close();
    }
  },
});
