import assert from "node:assert/strict";
import { startTestServer } from "../../_helpers/app_server.ts";
import { startGeminiStub } from "../../stubs/gemini_server.ts";

const KEY = "AIzaSy-test-key-never-shown-000000000";
const HEALTH_TOKEN = "health-token-".padEnd(40, "x");

Deno.test({
  name:
    "GET /api/health: public answer is the status only; provider checks are cached; details need the token",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const stub = await startGeminiStub({ apiKey: KEY });
    const server = await startTestServer({
      GEMINI_API_KEY: KEY,
      GEMINI_BASE_URL: stub.url,
      SESSION_SECRET: "s".repeat(40),
      HEALTH_TOKEN,
      HEALTH_CACHE_SECONDS: "3600",
    });
    try {
      const listCalls = () => stub.requests.filter((r) => r.action === "listModels").length;
      const before = listCalls();
      const answers = await Promise.all(
        Array.from(
          { length: 8 },
          () => fetch(`${server.url}/api/health`).then(async (r) => [r.status, await r.text()]),
        ),
      );
      for (const [status, text] of answers) {
        assert.equal(status, 200);
        // No provider name, latency, error or configuration detail: just ok/degraded.
        assert.deepEqual(JSON.parse(text as string), { status: "ok" });
      }
      const more = await fetch(`${server.url}/api/health`);
      assert.deepEqual(await more.json(), { status: "ok" });
      assert.equal(listCalls() - before, 1, "nine health requests made one model check");

      const detailed = await fetch(`${server.url}/api/health`, {
        headers: { authorization: `Bearer ${HEALTH_TOKEN}` },
      });
      const text = await detailed.text();
      const report = JSON.parse(text);
      assert.equal(detailed.status, 200);
      assert.deepEqual(Object.keys(report.checks).sort(), ["database", "model", "voice"]);
      assert.equal(report.checks.database.ok, true);
      assert.equal(report.checks.database.provider, "pglite");
      assert.equal(report.checks.model.ok, true);
      assert.equal(report.checks.model.provider, "gemini");
      assert.equal(typeof report.checks.voice.ok, "boolean");
      assert.equal(report.status, "ok");
      assert.equal(listCalls() - before, 1, "the detailed view uses the cached model check too");
      assert.doesNotMatch(text, new RegExp(KEY));
      assert.doesNotMatch(text, /s{40}/);

      for (const authorization of [`Bearer ${HEALTH_TOKEN}x`, "Bearer nope", `Basic ${HEALTH_TOKEN}`]) {
        const refused = await fetch(`${server.url}/api/health`, { headers: { authorization } });
        assert.equal(refused.status, 401, authorization);
        assert.equal((await refused.json()).error.code, "unauthorized");
      }
    } finally {
      await server.close();
      await stub.close();
    }
  },
});

Deno.test("GET /api/health without HEALTH_TOKEN: no detailed view for any token", async () => {
  const server = await startTestServer({ GEMINI_API_KEY: "" });
  try {
    const plain = await fetch(`${server.url}/api/health`);
    assert.equal(plain.status, 200);
    assert.deepEqual(await plain.json(), { status: "degraded" });
    const guessed = await fetch(`${server.url}/api/health`, { headers: { authorization: "Bearer " } });
    assert.equal(guessed.status, 401);
    await guessed.body?.cancel();
  } finally {
    await server.close();
  }
});
