import assert from "node:assert/strict";
import { startTestServer } from "../../_helpers/app_server.ts";

Deno.test("GET /api/health reports database, model and voice with latency and leaks no secret", async () => {
  const key = "AIzaSy-test-key-never-shown-000000000";
  const server = await startTestServer({ GEMINI_API_KEY: key, SESSION_SECRET: "s".repeat(40) });
  try {
    const res = await fetch(`${server.url}/api/health`);
    const text = await res.text();
    const body = JSON.parse(text);
    assert.ok(res.status === 200 || res.status === 503);
    assert.deepEqual(Object.keys(body.checks).sort(), ["database", "model", "voice"]);
    for (const check of Object.values(body.checks) as { ok: boolean; latencyMs: number }[]) {
      assert.equal(typeof check.ok, "boolean");
      assert.ok(check.latencyMs >= 0);
    }
    assert.equal(
      body.status,
      Object.values(body.checks).every((c) => (c as { ok: boolean }).ok) ? "ok" : "degraded",
    );
    assert.equal(res.status, body.checks.database.ok ? 200 : 503);
    assert.doesNotMatch(text, new RegExp(key));
    assert.doesNotMatch(text, /s{40}/);
  } finally {
    await server.close();
  }
});
