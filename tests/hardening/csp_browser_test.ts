/**
 * The chat UI under the strict Content-Security-Policy, in Chromium: a conversation holding every
 * payload of the XSS corpus (as user messages and as the model's echoed replies) renders with no
 * script run, no console error and no CSP violation; a reply streams through the composer; and the
 * policy is really enforced (an injected inline handler is blocked and reported).
 */
import assert from "node:assert/strict";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { browserAvailable, launchBrowser, openPage } from "../_helpers/browser.ts";
import { XSS_CORPUS } from "../markdown/xss_corpus.ts";
import { startGeminiStub } from "../stubs/gemini_server.ts";

const ok = browserAvailable("browser: hardening csp");

Deno.test({
  name: "strict CSP: XSS corpus rendered inert in the chat UI, zero violations, policy enforced",
  ignore: !ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const stub = await startGeminiStub({ apiKey: "k-csp-12345678" });
    const server = await startTestServer({
      GEMINI_API_KEY: "k-csp-12345678",
      GEMINI_BASE_URL: stub.url,
      RATE_LIMIT_MESSAGES: "off",
      RATE_LIMIT_CONVERSATIONS: "off",
      DAILY_TOKEN_BUDGET: "0",
      RATE_LIMIT_MESSAGES_IP: "off",
    });
    const browser = await launchBrowser();
    try {
      const { page, problems } = await openPage(browser);
      await page.addInitScript(() => {
        const w = window as unknown as { __xss: number; alert: (m?: unknown) => void };
        w.__xss = 0;
        w.alert = () => w.__xss++;
      });
      const first = await page.goto(server.url + "/");
      assert.match(first!.headers()["content-security-policy"] ?? "", /script-src 'self'/);
      const cookie = (await page.context().cookies()).find((c) => c.name === "mc_session");
      assert.ok(cookie, "the page set a session cookie");

      const api = new ApiClient(server.url);
      (api as unknown as { cookie: string }).cookie = `${cookie.name}=${cookie.value}`;
      const { body: conv } = await api.json<{ id: string }>("/api/conversations", {
        method: "POST",
        json: { title: "<img src=x onerror=alert(1)>", systemPrompt: "<script>alert(1)</script>" },
      });
      let sent = 0;
      for (const payload of XSS_CORPUS.filter((p) => !p.includes("\u0000"))) {
        const res = await api.fetch(`/api/conversations/${conv.id}/messages`, {
          method: "POST",
          json: { content: payload },
        });
        assert.equal(res.status, 200);
        await res.text();
        sent++;
      }

      await page.goto(`${server.url}/c/${conv.id}`);
      await page.waitForSelector("html[data-hydrated=true]");
      assert.equal(await page.locator(".message").count(), sent * 2);
      assert.equal(
        await page.locator(".message .markdown").count(),
        sent * 2,
        "every message rendered as markdown",
      );
      // A reply streams through the composer under the same policy.
      const input = page.locator("#composer-input");
      await input.fill("<svg onload=alert(1)> streamed **bold**");
      await input.press("Enter");
      await page.waitForFunction(() =>
        document.querySelectorAll(".message").length > 0 &&
        !document.querySelector(".message[data-status=streaming]") &&
        document.querySelector(".message-assistant:last-of-type")?.textContent?.includes("streamed")
      );
      // A handler in the rendered reply would run while it renders: two frames later it has.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.equal(
        await page.evaluate(() => (window as unknown as { __xss: number }).__xss),
        0,
        "no payload ran",
      );
      const dangerous = await page.evaluate(() =>
        [...document.querySelectorAll(".message .markdown *")].filter((el) =>
          ["SCRIPT", "IFRAME", "OBJECT", "EMBED", "FORM", "META", "STYLE", "BASE", "SVG", "MATH"].includes(
            el.tagName.toUpperCase(),
          ) ||
          // Task-list checkboxes are the one input markdown makes, and they are disabled.
          (el.tagName === "INPUT" &&
            !(el.getAttribute("type") === "checkbox" && el.hasAttribute("disabled"))) ||
          [...el.attributes].some((a) => /^on/i.test(a.name)) ||
          /^\s*javascript:/i.test(el.getAttribute("href") ?? "")
        ).map((el) => el.outerHTML.slice(0, 80))
      );
      assert.deepEqual(dangerous, [], "no active element or handler in rendered messages");
      assert.deepEqual(problems, [], "no console errors or CSP violations");

      // The policy is live: an inline handler injected by script is blocked and reported.
      await page.evaluate(() => {
        const div = document.createElement("div");
        div.innerHTML = '<img src="data:," onerror="window.__xss++">';
        document.body.append(div);
      });
      // Wait for the browser to report the blocked handler, then check that it did not run.
      const deadline = Date.now() + 30_000;
      while (!problems.some((p) => /CSP violation: script-src/.test(p)) && Date.now() < deadline) {
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
      }
      assert.ok(problems.some((p) => /CSP violation: script-src/.test(p)), problems.join("\n"));
      assert.equal(await page.evaluate(() => (window as unknown as { __xss: number }).__xss), 0);
    } finally {
      await browser.close();
      await server.close();
      await stub.close();
    }
  },
});
