import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app_server.ts";
import { browserAvailable, launchBrowser, openPage } from "../_helpers/browser.ts";

const ok = browserAvailable("browser: home page");

Deno.test({
  name: "home page hydrates its island: clicking the theme toggle changes the DOM, no console errors",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startTestServer();
    const browser = await launchBrowser();
    try {
      const { page, problems } = await openPage(browser);
      await page.goto(server.url + "/");
      await page.waitForSelector("html[data-hydrated=true]");
      const toggle = page.locator(".theme-toggle");
      assert.equal(await toggle.isEnabled(), true);
      const before = await toggle.getAttribute("data-theme-current");
      await toggle.click();
      const after = before === "dark" ? "light" : "dark";
      await page.waitForSelector(`.theme-toggle[data-theme-current=${after}]`);
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), after);
      // the choice survives a reload (cookie -> server-rendered attribute)
      await page.reload();
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), after);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
  },
});
