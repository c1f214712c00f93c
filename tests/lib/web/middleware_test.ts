import assert from "node:assert/strict";
import { startTestServer } from "../../_helpers/app_server.ts";

Deno.test("every response carries the security headers; CSP has no unsafe-inline scripts", async () => {
  const server = await startTestServer();
  try {
    for (const path of ["/", "/api/health", "/app.css", "/no-such-page"]) {
      const res = await fetch(server.url + path);
      await res.body?.cancel();
      const csp = res.headers.get("content-security-policy")!;
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(res.headers.get("referrer-policy"), "strict-origin-when-cross-origin", path);
    }
  } finally {
    await server.close();
  }
});

Deno.test("bodies over the limit get 413 JSON, declared or streamed", async () => {
  const server = await startTestServer({ MAX_BODY_BYTES: "2048" });
  try {
    const declared = await fetch(`${server.url}/api/health`, { method: "POST", body: "x".repeat(4096) });
    assert.equal(declared.status, 413);
    assert.equal((await declared.json()).error.code, "body_too_large");
  } finally {
    await server.close();
  }
});

Deno.test("cross-site state-changing requests are refused with 403; same-origin passes the check", async () => {
  const server = await startTestServer();
  try {
    const cross = await fetch(`${server.url}/api/health`, {
      method: "POST",
      headers: { "sec-fetch-site": "cross-site" },
    });
    assert.equal(cross.status, 403);
    assert.equal((await cross.json()).error.code, "cross_site_request");
    const badOrigin = await fetch(`${server.url}/api/health`, {
      method: "POST",
      headers: { origin: "https://evil.example" },
    });
    assert.equal(badOrigin.status, 403);
    await badOrigin.body?.cancel();
    const same = await fetch(`${server.url}/api/health`, { method: "POST", headers: { origin: server.url } });
    assert.equal(same.status, 405); // passes CSRF, then health has no POST
    await same.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("a session cookie is issued once and then kept", async () => {
  const server = await startTestServer();
  try {
    const first = await fetch(`${server.url}/`);
    await first.body?.cancel();
    const cookie = first.headers.get("set-cookie")!;
    assert.match(cookie, /^mc_session=[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Lax/);
    const second = await fetch(`${server.url}/`, { headers: { cookie: cookie.split(";")[0] } });
    await second.body?.cancel();
    assert.equal(second.headers.get("set-cookie"), null);
  } finally {
    await server.close();
  }
});

Deno.test("security headers reach responses whose headers are immutable (Response.redirect, fetch)", async () => {
  const { securityHeaders } = await import("../../../lib/web/middleware/security_headers.ts");
  const { withHeaders } = await import("../../../lib/web/headers.ts");
  const redirect = Response.redirect("http://127.0.0.1/elsewhere", 302);
  assert.throws(() => redirect.headers.set("x-test", "1"), TypeError);
  const middleware = securityHeaders();
  const ctx = { next: () => Promise.resolve(redirect) } as unknown as Parameters<typeof middleware>[1];
  const res = await middleware(new Request("http://127.0.0.1/"), ctx);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), "http://127.0.0.1/elsewhere");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  const mutable = new Response("body", { status: 201 });
  assert.equal(
    withHeaders(mutable, (h) => h.set("x-a", "1")),
    mutable,
    "mutable headers are changed in place",
  );
  const upstream = Response.redirect("http://127.0.0.1/x", 307);
  const copied = withHeaders(upstream, (h) => h.set("x-a", "1"));
  assert.notEqual(copied, upstream);
  assert.deepEqual([copied.status, copied.headers.get("x-a")], [307, "1"]);
});
