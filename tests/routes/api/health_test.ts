import assert from "node:assert/strict";
import { startTestServer } from "../../_helpers/app_server.ts";
import { startGeminiStub } from "../../stubs/gemini_server.ts";

Deno.test("GET /api/health reports database, model and voice with latency and leaks no secret", async () => {
  const key = "AIzaSy-test-key-never-shown-000000000";
  const stub = await startGeminiStub({ apiKey: key });
  const server = await startTestServer({
    GEMINI_API_KEY: key,
    GEMINI_BASE_URL: stub.url,
    SESSION_SECRET: "s".repeat(40),
  });
  try {
    const res = await fetch(`${server.url}/api/health`);
    const text = await res.text();
    const body = JSON.parse(text);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(body.checks).sort(), ["database", "model", "voice"]);
    for (const check of Object.values(body.checks) as { ok: boolean; latencyMs: number }[]) {
      assert.equal(typeof check.ok, "boolean");
      assert.ok(check.latencyMs >= 0);
    }
    assert.equal(body.checks.database.ok, true);
    assert.equal(body.checks.model.ok, true, JSON.stringify(body.checks.model));
    assert.ok(stub.requests.length >= 1, "the model check reached the local stub, not the internet");
    assert.equal(
      body.status,
      Object.values(body.checks).every((c) => (c as { ok: boolean }).ok) ? "ok" : "degraded",
    );
    assert.doesNotMatch(text, new RegExp(key));
    assert.doesNotMatch(text, /s{40}/);
  } finally {
    await server.close();
    await stub.close();
  }
});

Deno.test("GET /api/health: a key the model service refuses makes the model check fail, still 200", async () => {
  const stub = await startGeminiStub({ apiKey: "the-right-key-0000000" });
  const server = await startTestServer({
    GEMINI_API_KEY: "a-wrong-key-000000000",
    GEMINI_BASE_URL: stub.url,
  });
  try {
    const res = await fetch(`${server.url}/api/health`);
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.equal(body.checks.model.ok, false);
    assert.equal(body.status, "degraded");
  } finally {
    await server.close();
    await stub.close();
  }
});
