import assert from "node:assert/strict";
import { axeViolations } from "../_helpers/axe.ts";
import { browserAvailable } from "../_helpers/browser.ts";
import { openChat, startChatFixture } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: search");

Deno.test({
  name: "search: results while typing, marked text only, open the conversation at the message",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const fx = await startChatFixture({ withModel: false });
    try {
      const { page, problems } = await openChat(fx);
      // A long conversation of this browser session: the matching message is far above the latest one.
      const id = await page.evaluate(async () => {
        const res = await fetch("/api/conversations", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ title: "Garden plans" }),
        });
        return ((await res.json()) as { id: string }).id;
      });
      const { db } = fx.server.services;
      const [row] = await db.sql`select owner_id from conversations where id = ${id}`;
      const owner = row.owner_id as string;
      let target = "";
      for (let i = 0; i < 40; i++) {
        const content = i === 3
          ? "Plant <img src=x onerror=\"document.title='pwned'\"> tomatoes after the last frost"
          : `Filler message number ${i} about watering and soil.\n\n${"More words here. ".repeat(20)}`;
        const m = await db.appendMessage(owner, id, { role: i % 2 === 0 ? "user" : "assistant", content });
        if (i === 3) target = m!.id;
      }
      // A question answered twice: the first answer is on a branch that is not shown.
      const question = await db.appendMessage(owner, id, {
        role: "user",
        content: "Which soil for blueberries?",
      });
      const hidden = await db.appendMessage(owner, id, {
        role: "assistant",
        content: "Acidic soil with peat moss.",
      });
      await db.appendMessage(owner, id, {
        role: "assistant",
        content: "Use ericaceous compost.",
        parentId: question!.id,
      });

      await t.step("typing a prefix shows results with the matching words marked", async () => {
        await page.locator(".search-input").pressSequentially("tomat", { delay: 20 });
        await page.waitForSelector(".search-result");
        const results = await page.$$eval(".search-result-link", (els) =>
          els.map((el) => ({
            href: el.getAttribute("href"),
            marks: [...el.querySelectorAll("mark")].map((m) => m.textContent),
            snippet: el.querySelector(".search-result-snippet")?.textContent,
            images: el.querySelectorAll("img").length,
          })));
        assert.deepEqual(results, [{
          href: `/c/${id}#m-${target}`,
          marks: ["tomatoes"],
          snippet:
            "Assistant: Plant <img src=x onerror=\"document.title='pwned'\"> tomatoes after the last frost",
          images: 0,
        }]);
        assert.equal(await page.locator("#search-status").textContent(), "1 result");
        assert.deepEqual(
          await axeViolations(page, ".search-box"),
          [],
          "the search box and results pass axe-core",
        );
        assert.notEqual(await page.title(), "pwned");
      });

      await t.step("a title match and no-result text", async () => {
        await page.locator(".search-input").fill("garden");
        await page.waitForFunction(() =>
          document.querySelector(".search-result-title mark")?.textContent === "Garden"
        );
        await page.locator(".search-input").fill("zzzqqq");
        await page.waitForFunction(() =>
          document.querySelector("#search-status")?.textContent === "No results for “zzzqqq”."
        );
        await page.locator(".search-input").press("Escape");
        await page.waitForFunction(() => document.querySelectorAll(".search-result").length === 0);
      });

      await t.step(
        "choosing a result opens the conversation scrolled to that message, highlighted",
        async () => {
          await page.locator(".search-input").fill("tomatoes");
          await page.locator(".search-result-link").first().waitFor();
          await page.locator(".search-result-link").first().focus();
          await page.keyboard.press("Enter");
          await page.waitForURL(`**/c/${id}#m-${target}`);
          await page.waitForSelector("html[data-hydrated=true]");
          const message = page.locator(`#m-${target}`);
          await page.waitForFunction(
            (sel) => document.querySelector(sel)?.classList.contains("message-revealed"),
            `#m-${target}`,
          );
          assert.equal(await message.evaluate((el) => el === document.activeElement), true);
          const visible = await message.evaluate((el) => {
            const box = el.getBoundingClientRect();
            const view = document.querySelector("#conversation")!.getBoundingClientRect();
            return box.bottom > view.top && box.top < view.bottom;
          });
          assert.equal(visible, true, "the message is in view");
          const last = await page.locator(".message").last().evaluate((el) => {
            const box = el.getBoundingClientRect();
            return box.top < document.querySelector("#conversation")!.getBoundingClientRect().bottom;
          });
          assert.equal(last, false, "the view did not jump to the latest message");
        },
      );

      await t.step(
        "a match on a branch that is not shown: the branch is switched to it, then revealed",
        async () => {
          await page.locator(".search-input").fill("peat");
          await page.locator(".search-result-link").first().waitFor();
          assert.equal(
            await page.locator(".search-result-link").first().getAttribute("href"),
            `/c/${id}#m-${hidden!.id}`,
          );
          await page.locator(".search-result-link").first().click();
          await page.waitForFunction(
            (sel) => document.querySelector(sel)?.classList.contains("message-revealed"),
            `#m-${hidden!.id}`,
          );
          const shown = await page.$$eval(
            ".message .markdown",
            (els) => els.map((e) => (e.textContent ?? "").trim()),
          );
          assert.ok(shown.includes("Acidic soil with peat moss."));
          assert.ok(!shown.includes("Use ericaceous compost."));
        },
      );

      assert.deepEqual(problems, []);
    } finally {
      await fx.close();
    }
  },
});
