import assert from "node:assert/strict";
import { browserAvailable } from "../_helpers/browser.ts";
import { openChat, readMessages, sendMessage, startChatFixture, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: usage");

Deno.test({
  name: "usage: the daily token count under the composer follows each reply; a spent budget is explained",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const fx = await startChatFixture({ env: { DAILY_TOKEN_BUDGET: "30" } });
    try {
      const { page, problems } = await openChat(fx);
      const meter = page.locator(".usage-meter");
      const meterText = async (expected: string) => {
        await page.waitForFunction(
          (want) => document.querySelector(".usage-meter")?.textContent === want,
          expected,
        );
        return await meter.textContent();
      };
      assert.equal(await meterText("0 of 30 tokens today"), "0 of 30 tokens today");

      // The stub reports 6 prompt + 4 completion tokens, then 18 + 4.
      await sendMessage(page, "hello streaming world");
      await waitIdle(page);
      assert.equal(await meterText("10 of 30 tokens today"), "10 of 30 tokens today");
      await sendMessage(page, "hello streaming world");
      await waitIdle(page);
      assert.equal(
        await meterText("32 of 30 tokens today · resets at 00:00 UTC"),
        "32 of 30 tokens today · resets at 00:00 UTC",
      );
      assert.equal(await meter.evaluate((el) => el.classList.contains("usage-spent")), true);

      await sendMessage(page, "one more");
      const notice = page.locator(".composer-notice");
      await notice.waitFor();
      assert.match((await notice.textContent()) ?? "", /^You have used 32 of 30 tokens today\./);
      assert.equal((await readMessages(page)).length, 4, "the refused message was not added");
      assert.equal(await page.locator("#composer-input").inputValue(), "one more", "the text is kept");
      // The browser logs the refused request itself; nothing else went wrong.
      assert.deepEqual(problems, [
        "console: Failed to load resource: the server responded with a status of 429 (Too Many Requests)",
      ]);
    } finally {
      await fx.close();
    }
  },
});
