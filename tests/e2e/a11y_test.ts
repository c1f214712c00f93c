import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { axeViolations, formatViolations } from "../_helpers/axe.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { browserAvailable, launchBrowser, openPage } from "../_helpers/browser.ts";
import { openChat, sendMessage, startChatFixture, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: accessibility (axe-core)");

/** A message whose echo exercises the Markdown renderer: code, a wide table, task lists, links. */
const RICH = [
  "Rich **Markdown** with `inline code` and a [link](https://example.com/docs).",
  "",
  "```ts",
  "const answer: number = 42; // a fairly long line of code that has to scroll on a phone screen",
  "```",
  "",
  "| name | value | a much longer column heading | another | and one more |",
  "|---|---|---|---|---|",
  "| alpha | 1 | some text in the cell | x | y |",
  "",
  "- [ ] an open task",
  "- [x] a finished task",
  "",
  "> a quotation",
  "",
  "1. first",
  "2. second",
].join("\n");

/** A runs folder with one run (config, metrics, an evaluation), as `deno task train`/`eval` write them. */
async function runsDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mc-a11y-runs-" });
  await Deno.mkdir(`${dir}/tiny-base/model`, { recursive: true });
  await Deno.writeTextFile(`${dir}/tiny-base/config.json`, JSON.stringify({ mode: "pretrain", steps: 40 }));
  const metrics = [];
  for (let step = 1; step <= 40; step++) {
    metrics.push({ type: "train", step, loss: 5 - step * 0.05 });
    if (step % 10 === 0) metrics.push({ type: "val", step, loss: 5.1 - step * 0.045 });
  }
  await Deno.writeTextFile(
    `${dir}/tiny-base/metrics.jsonl`,
    metrics.map((m) => JSON.stringify(m)).join("\n"),
  );
  await Deno.writeTextFile(
    `${dir}/tiny-base/eval.json`,
    JSON.stringify({
      evaluations: [{
        data: "data/corpus.val.txt",
        kind: "text",
        weights: "model",
        tokens: 4096,
        sequences: 32,
        loss: 3.25,
        perplexity: Math.exp(3.25),
        perToken: { mean: 3.25, p50: 3, p90: 5, p99: 7, max: 9 },
        seqLen: 128,
        at: "2026-12-03T06:00:00.000Z",
        elapsedMs: 5,
      }],
    }),
  );
  return dir;
}

const committedModel = new URL("../../models/local", import.meta.url).pathname;

async function setTheme(page: Page, url: string, theme: "light" | "dark"): Promise<void> {
  await page.context().addCookies([{ name: "mc_theme", value: theme, url }]);
}

Deno.test({
  name:
    "accessibility: zero axe-core WCAG 2.2 AA violations on every page and panel, light and dark, 1280 and 375 px",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const runs = await runsDir();
    // The committed local model as a second provider: the model picker lists it (it loads only when
    // used), and /training shows its committed runs next to RUNS_DIR's.
    const fx = await startChatFixture({ env: { RUNS_DIR: runs, LOCAL_MODEL_DIR: committedModel } });
    try {
      // One conversation with rich Markdown, owned by this session.
      const first = await openChat(fx, "/");
      await sendMessage(first.page, RICH);
      await waitIdle(first.page);
      const conversation = new URL(first.page.url()).pathname;
      const cookies = await first.page.context().cookies();
      await first.page.context().close();

      const found: string[] = [];
      const check = async (page: Page, where: string) => {
        found.push(...formatViolations(where, await axeViolations(page)));
      };
      for (const width of [1280, 375]) {
        for (const theme of ["light", "dark"] as const) {
          await t.step(`${width} px, ${theme}`, async () => {
            const { page, problems } = await openPage(fx.browser, { width, height: 800 });
            await page.context().addCookies(cookies);
            await setTheme(page, fx.server.url, theme);
            const at = (what: string) => `${what} @${width}/${theme}`;
            const open = async (path: string) => {
              await page.goto(fx.server.url + path);
              await page.waitForSelector("html[data-hydrated=true]");
              assert.equal(await page.getAttribute("html", "data-theme"), theme);
            };

            await open("/");
            await check(page, at("/"));
            // The composer's placeholder fits on its one line.
            const fits = await page.evaluate(() => {
              const box = document.querySelector<HTMLTextAreaElement>("#composer-input")!;
              const style = getComputedStyle(box);
              const ctx = document.createElement("canvas").getContext("2d")!;
              ctx.font = style.font;
              return [ctx.measureText(box.placeholder).width, box.clientWidth];
            });
            assert.ok(fits[0] <= fits[1], `placeholder ${fits[0]} px in a ${fits[1]} px box`);

            await open(conversation);
            await page.waitForSelector(".message-assistant .markdown table");
            await check(page, at("conversation"));
            // The title gets room; wide tables scroll inside their wrapper instead of widening the page.
            const title = await page.locator(".chat-title").boundingBox();
            assert.ok(title && title.width >= Math.min(width / 3, 300), `title ${JSON.stringify(title)}`);
            assert.ok(
              await page.evaluate(() => document.querySelector(".conversation")!.scrollWidth) <= width,
              "no horizontal page scroll",
            );

            await page.locator(".settings-toggle").click();
            await page.waitForSelector("#settings");
            await check(page, at("settings panel"));
            // The model picker, focused, lists every provider's models; the Save button, focused.
            const picker = page.locator("#settings .settings-model");
            await picker.focus();
            const options = await picker.locator("option").allTextContents();
            assert.ok(options.length >= 3 && options.some((o) => /local/i.test(o)), options.join(" | "));
            await check(page, at("model picker (focused)"));
            await page.locator("#settings .settings-save").focus();
            await check(page, at("settings Save (focused)"));
            await page.locator("#settings button", { hasText: "Close" }).click();

            await page.locator(".voice-menu-toggle").click();
            await page.waitForSelector(".voice-menu[open] .voice-panel");
            await check(page, at("voice panel"));
            const panel = await page.locator(".voice-panel").boundingBox();
            assert.ok(
              panel && panel.x >= 0 && panel.x + panel.width <= width,
              `voice panel on screen: ${JSON.stringify(panel)}`,
            );
            await page.keyboard.press("Escape");
            await page.waitForSelector(".voice-menu:not([open])");

            const narrow = width < 760;
            if (narrow) {
              await page.locator(".menu-toggle").click();
              await page.waitForSelector(".sidebar.open .conversation-link");
              await check(page, at("drawer"));
            }
            await page.locator(".conversation-item .delete").first().click();
            await page.waitForSelector(".confirm-delete");
            await check(page, at("delete confirmation"));
            await page.keyboard.press("Escape");
            await page.waitForSelector(".confirm-delete", { state: "detached" });
            // The sidebar's popovers: a conversation's options and the training-data export.
            const onScreen = async (selector: string) => {
              const box = await page.locator(selector).boundingBox();
              assert.ok(
                box && box.x >= 0 && box.x + box.width <= width && box.y >= 0 && box.y + box.height <= 800,
                `${selector} on screen: ${JSON.stringify(box)}`,
              );
            };
            await page.locator(".conversation-item .row-menu-toggle").first().click();
            await page.waitForSelector(".row-menu");
            await check(page, at("conversation options"));
            await onScreen(".row-menu");
            await page.locator(".conversation-item .row-menu-toggle").first().click();
            await page.waitForSelector(".row-menu", { state: "detached" });
            await page.locator(".training-export-menu > summary").click();
            await page.waitForSelector(".training-export-menu[open] .training-export");
            await check(page, at("training-data export"));
            await onScreen(".training-export-menu[open] .training-export");
            await page.locator(".training-export-menu > summary").click();
            await page.waitForSelector(".training-export-menu:not([open])");
            if (narrow) {
              await page.keyboard.press("Escape");
              await page.waitForSelector(".sidebar:not(.open)", { state: "attached" }); // hidden once closed
            }

            await page.goto(fx.server.url + "/training");
            await page.waitForSelector(".run .loss-chart", { state: "attached" });
            assert.equal(
              await page.locator(".bundled-runs .run .loss-chart-wide").count(),
              2,
              "bundled runs shown",
            );
            await check(page, at("/training"));
            assert.ok(
              await page.evaluate(() => document.scrollingElement!.scrollWidth) <= width,
              "/training fits",
            );
            // One drawing of each chart is shown, and its 11-unit labels render at 9 px or more.
            const labels = await page.evaluate(() =>
              [...document.querySelectorAll<SVGSVGElement>(".run svg.loss-chart")]
                .filter((svg) => svg.getBoundingClientRect().width > 0)
                .map((svg) => (11 * svg.getBoundingClientRect().width) / svg.viewBox.baseVal.width)
            );
            assert.equal(labels.length, 3, "one chart per run");
            assert.ok(labels.every((px) => px >= 9), `label sizes ${labels.join(", ")} px`);
            // axe skips SVG text: the chart's legend ("train", "val") is checked for 4.5:1 here.
            const legend = await page.evaluate(() => {
              const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
              const lum = (c: string) => {
                const [r, g, b] = rgb(c).map((v) => {
                  const s = v / 255;
                  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
              };
              return [...document.querySelectorAll<SVGTextElement>(".run svg.loss-chart text[class]")]
                .filter((t) => t.getBoundingClientRect().width > 0)
                .map((t) => {
                  const a = lum(getComputedStyle(t).fill);
                  const b = lum(getComputedStyle(t.closest(".run")!).backgroundColor);
                  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
                });
            });
            assert.equal(legend.length, 6, "train and val keys of 3 charts");
            assert.ok(legend.every((r) => r >= 4.5), `legend contrast ${legend.map((r) => r.toFixed(2))}`);

            assert.deepEqual(problems, []);
            await page.context().close();
          });
        }
      }
      assert.deepEqual(found, [], `\n${found.join("\n")}`);
    } finally {
      await fx.close();
      await Deno.remove(runs, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "accessibility: first-run states (tiny local model only, no model at all) pass axe-core, light and dark",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const local = await startTestServer({ LOCAL_MODEL_DIR: committedModel });
    const none = await startTestServer();
    const browser = await launchBrowser();
    try {
      const found: string[] = [];
      for (const width of [1280, 375]) {
        for (const theme of ["light", "dark"] as const) {
          await t.step(`${width} px, ${theme}`, async () => {
            for (
              const [what, server, marker] of [
                ["demo note", local, ".demo-note"],
                ["no-model banner", none, ".banner-warning"],
              ] as const
            ) {
              const { page, problems } = await openPage(browser, { width, height: 800 });
              await setTheme(page, server.url, theme);
              await page.goto(server.url + "/");
              await page.waitForSelector("html[data-hydrated=true]");
              await page.waitForSelector(marker);
              found.push(...formatViolations(`${what} @${width}/${theme}`, await axeViolations(page)));
              // The settings panel with its model picker (disabled when there is no model).
              await page.locator(".settings-toggle").click();
              await page.locator("#settings .settings-model").waitFor();
              found.push(
                ...formatViolations(`${what}, settings @${width}/${theme}`, await axeViolations(page)),
              );
              assert.deepEqual(problems, []);
              await page.context().close();
            }
          });
        }
      }
      assert.deepEqual(found, [], `\n${found.join("\n")}`);
    } finally {
      await browser.close();
      await local.close();
      await none.close();
    }
  },
});
