/**
 * Screenshots of the chat UI for docs/ui.md: the app against the local Gemini stub, one
 * conversation with rich Markdown, and `/training` as a fresh clone shows it (an empty runs folder,
 * the bundled model's committed runs), at 1280 and 375 px, light and dark, written to
 * docs/screenshots/. Run: `deno run -A scripts/ui_screenshots.ts`.
 */
import { startChatFixture } from "../tests/e2e/_chat_fixture.ts";
import { openPage } from "../tests/_helpers/browser.ts";

const OUT = new URL("../docs/screenshots/", import.meta.url).pathname;
const MESSAGE = [
  "Compare **light** and **dark** themes in a table, with a code sample and a checklist.",
  "",
  "| theme | background | text | contrast |",
  "|---|---|---|---|",
  "| light | #faf9f5 | #1f1e1d | 16.0:1 |",
  "| dark | #1f1e1d | #ecebe6 | 14.6:1 |",
  "",
  "```ts",
  'const theme = matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";',
  "```",
  "",
  "- [x] contrast checked with axe-core",
  "- [ ] screenshots reviewed",
].join("\n");

// From the repository root, so the page names the bundled model's folder as configured by default.
Deno.chdir(new URL("..", import.meta.url).pathname);
const emptyRuns = await Deno.makeTempDir({ prefix: "mc-screenshots-runs-" });
const fx = await startChatFixture({
  env: { RUNS_DIR: emptyRuns, LOCAL_MODEL_DIR: "models/local" },
});
try {
  const first = await openPage(fx.browser);
  await first.page.goto(fx.server.url + "/");
  await first.page.waitForSelector("html[data-hydrated=true]");
  await first.page.fill("#composer-input", MESSAGE);
  await first.page.press("#composer-input", "Enter");
  await first.page.waitForSelector(".message-assistant[data-status=complete]");
  const path = new URL(first.page.url()).pathname;
  const cookies = await first.page.context().cookies();
  await first.page.context().close();
  for (const [width, height] of [[1280, 800], [375, 740]]) {
    for (const theme of ["light", "dark"]) {
      const { page } = await openPage(fx.browser, { width, height });
      await page.context().addCookies([...cookies, { name: "mc_theme", value: theme, url: fx.server.url }]);
      await page.goto(fx.server.url + path);
      await page.waitForSelector("html[data-hydrated=true]");
      await page.screenshot({ path: `${OUT}chat-${width}-${theme}.png` });
      console.log(`chat-${width}-${theme}.png`);
      await page.goto(fx.server.url + "/training#bundled-runs-title");
      await page.waitForSelector(".bundled-runs .loss-chart", { state: "attached" });
      await page.screenshot({ path: `${OUT}training-${width}-${theme}.png` });
      console.log(`training-${width}-${theme}.png`);
      await page.context().close();
    }
  }
} finally {
  await fx.close();
  await Deno.remove(emptyRuns, { recursive: true });
}
