import assert from "node:assert/strict";
import { accessFor, isAccountsOnlyPath, safeNext } from "../../../lib/accounts/gate.ts";

Deno.test("accounts mode: sign-in pages, health and assets are public; admin paths need an admin", () => {
  for (const p of ["/login", "/register", "/api/health", "/api/auth/login", "/api/auth/register"]) {
    assert.equal(accessFor("POST", p), "public", p);
  }
  assert.equal(accessFor("GET", "/app.css"), "public");
  assert.equal(accessFor("GET", "/_islands/ChatApp-abc.js"), "public");
  assert.equal(accessFor("POST", "/app.css"), "user", "only reads of assets are public");
  assert.equal(accessFor("GET", "/api/conversations.json"), "user", "no asset rule under /api");
  for (
    const p of ["/", "/c/abc", "/account", "/api/conversations", "/api/tts", "/api/auth/me", "/training"]
  ) {
    assert.equal(accessFor("GET", p), "user", p);
  }
  for (const p of ["/admin", "/api/admin/users", "/api/admin/users/x/password"]) {
    assert.equal(accessFor("GET", p), "admin", p);
  }
  assert.equal(isAccountsOnlyPath("/api/auth/login"), true);
  assert.equal(isAccountsOnlyPath("/api/conversations"), false);
});

Deno.test("the page after sign-in is a same-origin path only", () => {
  assert.equal(safeNext("/c/123?q=x"), "/c/123?q=x");
  for (
    const bad of [
      null,
      "",
      "https://evil.example/",
      "//evil.example",
      "/\\evil.example",
      "javascript:alert(1)",
    ]
  ) {
    assert.equal(safeNext(bad), "/", String(bad));
  }
});
