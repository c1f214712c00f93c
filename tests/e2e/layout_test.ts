import assert from "node:assert/strict";
import { browserAvailable } from "../_helpers/browser.ts";
import { openChat, readMessages, sendMessage, startChatFixture, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: chat layout and settings");

Deno.test({
  name: "layout: 375 px wide phone screen, drawer, dark theme, settings, 404",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const fx = await startChatFixture();
    const shots = Deno.env.get("MC_SCREENSHOT_DIR") ?? await Deno.makeTempDir({ prefix: "mc-ui-shots-" });
    try {
      const { page, problems } = await openChat(fx, "/", { width: 375, height: 740 });

      await t.step("375 px: no horizontal scroll, composer visible, drawer opens and closes", async () => {
        await sendMessage(
          page,
          "A long line: " + "supercalifragilisticexpialidocious".repeat(3) +
            "\n\n```ts\nconst veryLongIdentifierName = someFunction(argumentNumberOne, argumentNumberTwo);\n```\n\n" +
            "| col | another column | third |\n|---|---|---|\n| 1 | 2 | 3 |",
        );
        await waitIdle(page);
        const path = `${shots}/chat-375.png`;
        await page.screenshot({ path });
        assert.ok((await Deno.stat(path)).size > 5_000);
        assert.ok(await page.evaluate(() => document.scrollingElement!.scrollWidth) <= 375);
        const composer = await page.locator(".composer-box").boundingBox();
        assert.ok(
          composer && composer.x >= 0 && composer.x + composer.width <= 375,
          JSON.stringify(composer),
        );
        assert.ok(composer.y + composer.height <= 740, JSON.stringify(composer));
        assert.equal(await page.locator(".sidebar").isVisible(), false);
        await page.locator(".menu-toggle").click();
        await page.waitForSelector(".sidebar.open .conversation-link");
        // the drawer's slide-in transition has finished
        await page.waitForFunction(() =>
          document.querySelector(".sidebar")!.getBoundingClientRect().left === 0
        );
        await page.screenshot({ path: `${shots}/chat-375-drawer.png` });
        assert.equal(await page.locator(".menu-toggle").getAttribute("aria-expanded"), "true");
        await page.keyboard.press("Escape");
        await page.waitForSelector(".sidebar:not(.open)", { state: "attached" }); // hidden once closed
      });

      await t.step("dark theme via the toggle", async () => {
        await page.locator(".theme-toggle").click();
        await page.waitForSelector("html[data-theme=dark]");
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(bg, "rgb(31, 30, 29)");
        await page.screenshot({ path: `${shots}/chat-375-dark.png` });
      });

      await t.step("settings: system prompt and model reach the model; changes persist", async () => {
        const wide = await openChat(fx, "/");
        const p = wide.page;
        await p.locator(".settings-toggle").click();
        const options = await p.$$eval(
          ".settings-model option",
          (els) => els.map((e) => (e as HTMLOptionElement).value),
        );
        assert.deepEqual(options, ["", "gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"]);
        await p.locator(".settings-prompt").fill("Answer like a pirate.");
        await p.locator(".settings-model").selectOption("gemini-2.5-pro");
        await p.locator(".settings-save").click();
        await sendMessage(p, "hello settings");
        await waitIdle(p);
        const first = fx.stub.requests.at(-1)!;
        assert.equal(first.model, "gemini-2.5-pro");
        assert.match(JSON.stringify(first.body), /Answer like a pirate\./);

        await p.locator(".settings-toggle").click();
        assert.equal(await p.locator(".settings-prompt").inputValue(), "Answer like a pirate.");
        await p.locator(".settings-model").selectOption("gemini-2.5-flash-lite");
        await p.locator(".settings-save").click();
        await p.waitForSelector(".settings", { state: "detached" });
        await p.locator("button.regenerate").click();
        await waitIdle(p);
        assert.equal(fx.stub.requests.at(-1)!.model, "gemini-2.5-flash-lite");
        await p.reload();
        await p.waitForSelector("html[data-hydrated=true]");
        await p.locator(".settings-toggle").click();
        assert.equal(await p.locator(".settings-model").inputValue(), "gemini-2.5-flash-lite");
        assert.deepEqual(wide.problems, []);
        await p.context().close();
      });

      await t.step(
        "auto-scroll follows the reply, stops when the reader scrolls up, resumes at the bottom",
        async () => {
          const { page: p, problems: pp } = await openChat(fx, "/", { width: 800, height: 500 });
          fx.stub.setOptions({ replyTokens: 400, tokenDelayMs: 8 });
          try {
            await sendMessage(p, "scroll test words");
            const distance = () =>
              p.$eval("#conversation", (el) => el.scrollHeight - el.scrollTop - el.clientHeight);
            await p.waitForFunction(() => {
              const el = document.getElementById("conversation")!;
              return el.scrollHeight > el.clientHeight + 300;
            });
            assert.ok(await distance() <= 48, "follows the text while at the bottom");
            await p.locator("#conversation").hover();
            await p.mouse.wheel(0, -400);
            await p.waitForSelector(".jump-latest");
            const top = await p.$eval("#conversation", (el) => el.scrollTop);
            const height = await p.$eval("#conversation", (el) => el.scrollHeight);
            // more tokens arrive
            await p.waitForFunction((h) => document.getElementById("conversation")!.scrollHeight > h, height);
            assert.equal(
              await p.$eval("#conversation", (el) => el.scrollTop),
              top,
              "stays where the reader is",
            );
            assert.ok(await distance() > 48);
            await p.locator(".jump-latest").click();
            // follows again after Latest
            await p.waitForFunction(() => {
              const el = document.getElementById("conversation")!;
              return el.scrollHeight - el.scrollTop - el.clientHeight <= 48;
            });
            await waitIdle(p);
            assert.ok(await distance() <= 48);
          } finally {
            fx.stub.setOptions({ replyTokens: undefined, tokenDelayMs: 0 });
          }
          assert.deepEqual(pp, []);
          await p.context().close();
        },
      );

      assert.deepEqual(problems, []);

      await t.step("an unknown conversation id gets the 404 page", async () => {
        const res = await page.goto(fx.server.url + "/c/00000000-0000-4000-8000-000000000000");
        assert.equal(res?.status(), 404);
        assert.equal(await page.locator("h1").textContent(), "Page not found");
        const bad = await page.goto(fx.server.url + "/c/not-a-uuid");
        assert.equal(bad?.status(), 404);
      });
    } finally {
      await fx.close();
      console.log(`screenshots in ${shots}`);
    }
  },
});

Deno.test({
  name: "layout: without a model the page says how to configure one; a sent message is kept",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const fx = await startChatFixture({ withModel: false });
    try {
      const { page, problems } = await openChat(fx);
      const banner = await page.locator(".banner-warning").textContent();
      assert.match(banner ?? "", /No chat model is configured: set GEMINI_API_KEY/);
      assert.equal(await page.locator(".settings-toggle").isEnabled(), true);
      await sendMessage(page, "is anyone there");
      await waitIdle(page);
      const messages = await readMessages(page);
      assert.deepEqual(messages[0], ["user", "complete", "is anyone there"]);
      assert.equal(messages[1][1], "error");
      assert.match(await page.locator(".message-error").textContent() ?? "", /GEMINI_API_KEY/);
      await page.reload();
      await page.waitForSelector("html[data-hydrated=true]");
      assert.deepEqual((await readMessages(page)).map((m) => m[2]), ["is anyone there"]);
      assert.deepEqual(problems, []);
    } finally {
      await fx.close();
    }
  },
});
