/**
 * Accounts in a real browser (AUTH_MODE=accounts): register, the same conversations on two
 * browser contexts, sign out everywhere revoking both, and an admin disabling a user whose next
 * request is refused. Each context is its own browser profile (own cookies).
 */
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../_helpers/app_server.ts";
import { axeViolations } from "../_helpers/axe.ts";
import { browserAvailable, launchBrowser } from "../_helpers/browser.ts";
import { startOidcStub } from "../stubs/oidc_server.ts";

const ok = browserAvailable("browser: accounts");

/** A page in a fresh context that records errors (a 401 logged by the browser for a refused request is expected). */
async function newPage(
  browser: Browser,
  agent: string,
): Promise<{ ctx: BrowserContext; page: Page; problems: string[] }> {
  const ctx = await browser.newContext({ userAgent: agent });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/status of 40[13]/.test(msg.text())) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  return { ctx, page, problems };
}

async function hydrated(page: Page): Promise<void> {
  await page.waitForSelector("html[data-hydrated=true]");
}

async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(base + "/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(base + "/");
  await hydrated(page);
}

function titles(page: Page): Promise<string[]> {
  return page.$$eval(".conversation-link", (els) => els.map((e) => e.textContent ?? ""));
}

Deno.test({
  name: "browser: register, two devices, sign out everywhere, admin disables a user",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const server: TestServer = await startTestServer({ AUTH_MODE: "accounts" });
    const browser = await launchBrowser();
    try {
      const base = server.url;
      const laptop = await newPage(browser, "Laptop browser");
      const phone = await newPage(browser, "Phone browser");

      await t.step("a visitor is sent to sign in, registers, and lands in the chat as admin", async () => {
        await laptop.page.goto(base + "/");
        await laptop.page.waitForURL(`${base}/login?next=%2F`);
        await laptop.page.getByRole("link", { name: "Create one" }).click();
        await laptop.page.waitForURL(/\/register/);
        await hydrated(laptop.page);
        assert.match(await laptop.page.textContent("main") ?? "", /first account becomes the administrator/);
        assert.deepEqual(await axeViolations(laptop.page), [], "register page");
        await laptop.page.getByLabel("Username").fill("alice");
        await laptop.page.getByLabel("Password").fill("alice password 1");
        await laptop.page.getByRole("button", { name: "Create account" }).click();
        await laptop.page.waitForURL(base + "/");
        await hydrated(laptop.page);
        assert.equal(await laptop.page.getByRole("link", { name: "alice" }).count(), 1);
        assert.equal(await laptop.page.getByRole("link", { name: "Admin" }).count(), 1);
      });

      await t.step(
        "a conversation made on the laptop is listed on the phone after signing in there",
        async () => {
          const status = await laptop.page.evaluate(async () => {
            const res = await fetch("/api/conversations", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ title: "Packing list" }),
            });
            return res.status;
          });
          assert.equal(status, 201);
          await laptop.page.reload();
          await hydrated(laptop.page);
          assert.deepEqual(await titles(laptop.page), ["Packing list"]);

          await signIn(phone.page, base, "alice", "alice password 1");
          assert.deepEqual(await titles(phone.page), ["Packing list"]);
        },
      );

      await t.step("the devices panel lists both; sign out everywhere revokes both", async () => {
        await laptop.page.goto(base + "/account");
        await hydrated(laptop.page);
        assert.deepEqual(await axeViolations(laptop.page), [], "account page");
        const rows = laptop.page.locator("table.account-table tbody tr");
        assert.equal(await rows.count(), 2);
        const text = await laptop.page.locator("table.account-table tbody").textContent() ?? "";
        assert.match(text, /Laptop browser \(this device\)/);
        assert.match(text, /Phone browser/);
        await laptop.page.getByRole("button", { name: "Sign out everywhere" }).click();
        await laptop.page.waitForURL(/\/login/);

        await phone.page.reload();
        await phone.page.waitForURL(/\/login\?next=/);
        const api = await phone.page.evaluate(async () => (await fetch("/api/conversations")).status);
        assert.equal(api, 401);
      });

      let inviteUrl = "";
      await t.step("the admin makes an invitation; a second person registers with it", async () => {
        await signIn(laptop.page, base, "alice", "alice password 1");
        await laptop.page.getByRole("link", { name: "Admin" }).click();
        await laptop.page.waitForURL(base + "/admin");
        await hydrated(laptop.page);
        await laptop.page.getByRole("button", { name: "Create invitation link" }).click();
        inviteUrl = await laptop.page.getByLabel(/Invitation link/).inputValue();
        assert.deepEqual(await axeViolations(laptop.page), [], "admin page");
        assert.match(inviteUrl, /\/register\?invite=[A-Za-z0-9_-]{43}$/);

        await phone.page.goto(inviteUrl);
        await hydrated(phone.page);
        assert.equal(await phone.page.getByLabel("Invitation code").inputValue(), inviteUrl.split("=")[1]);
        await phone.page.getByLabel("Username").fill("bob");
        await phone.page.getByLabel("Password").fill("bob password 1");
        await phone.page.getByRole("button", { name: "Create account" }).click();
        await phone.page.waitForURL(base + "/");
        await hydrated(phone.page);
        assert.deepEqual(await titles(phone.page), [], "bob sees none of alice's conversations");
        assert.equal(await phone.page.getByRole("link", { name: "Admin" }).count(), 0);
      });

      await t.step("the admin disables bob: his next request is refused and he cannot sign in", async () => {
        await laptop.page.reload();
        await hydrated(laptop.page);
        const row = laptop.page.locator("tr[data-user=bob]");
        await row.getByRole("button", { name: "Disable bob" }).click();
        await row.locator("[data-testid=user-status]", { hasText: "Disabled" }).waitFor();

        const api = await phone.page.evaluate(async () => (await fetch("/api/conversations")).status);
        assert.equal(api, 401);
        await phone.page.reload();
        await phone.page.waitForURL(/\/login/);
        await hydrated(phone.page);
        await phone.page.getByLabel("Username").fill("bob");
        await phone.page.getByLabel("Password").fill("bob password 1");
        await phone.page.getByRole("button", { name: "Sign in" }).click();
        const alert = phone.page.getByRole("alert");
        await alert.waitFor();
        assert.equal(await alert.textContent(), "This account is disabled. Ask an admin.");
        assert.deepEqual(await axeViolations(phone.page), [], "sign-in page with an error");
      });

      assert.deepEqual([...laptop.problems, ...phone.problems], []);
    } finally {
      await browser.close();
      await server.close();
    }
  },
});

Deno.test({
  name: "browser: sign in with an OpenID Connect provider (local stub) from the sign-in page",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const stub = await startOidcStub({ user: { sub: "browser-sub", preferred_username: "oidc.jane" } });
    const server = await startTestServer({
      AUTH_MODE: "accounts",
      OIDC_ISSUER: stub.issuer,
      OIDC_CLIENT_ID: stub.clientId,
      OIDC_CLIENT_SECRET: stub.clientSecret,
      OIDC_LABEL: "Stub IdP",
    });
    const browser = await launchBrowser();
    try {
      const { page, problems } = await newPage(browser, "OIDC browser");
      await page.goto(server.url + "/account");
      await page.waitForURL(/\/login\?next=%2Faccount$/);
      await hydrated(page);
      await page.getByRole("link", { name: "Sign in with Stub IdP" }).click();
      await page.waitForURL(server.url + "/account");
      await hydrated(page);
      assert.equal(await page.getByTestId("account-username").textContent(), "oidc.jane");
      assert.equal(
        await page.getByRole("heading", { name: "Change password" }).count(),
        0,
        "no password to change",
      );
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
      await stub.close();
    }
  },
});
