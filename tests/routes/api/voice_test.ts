import assert from "node:assert/strict";
import { ApiClient } from "../../_helpers/api_client.ts";
import { startTestServer } from "../../_helpers/app_server.ts";
import { silentMp3, startElevenLabsStub } from "../../stubs/elevenlabs_server.ts";

const KEY = "xi-test-key-must-never-leak-0001";

Deno.test({
  name: "voice routes through the full app: TTS audio, voices, STT transcript; the key never leaks",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const stub = await startElevenLabsStub({ apiKey: KEY, transcript: "what is the weather" });
    const healthToken = "h".repeat(32);
    const server = await startTestServer({
      ELEVENLABS_API_KEY: KEY,
      ELEVENLABS_BASE_URL: stub.url,
      HEALTH_TOKEN: healthToken,
    });
    try {
      const client = new ApiClient(server.url);
      const tts = await client.fetch("/api/tts", {
        method: "POST",
        json: { text: "Hello there. How are you?" },
      });
      assert.equal(tts.status, 200);
      assert.equal(tts.headers.get("content-type"), "audio/mpeg");
      const audio = new Uint8Array(await tts.arrayBuffer());
      assert.ok(audio.length > 0);
      assert.deepEqual([...audio.slice(0, 2)], [0xff, 0xfb]);
      const voices = await client.json<{ voices: { id: string; name: string }[] }>("/api/voices");
      assert.deepEqual(voices.body.voices.map((v) => v.name), ["George", "Rachel"]);
      const form = new FormData();
      form.append("file", new Blob([silentMp3(40)], { type: "audio/mpeg" }), "speech.mp3");
      const stt = await client.json<{ text: string }>("/api/stt", { method: "POST", body: form });
      assert.equal(stt.status, 200);
      assert.equal(stt.body.text, "what is the weather");
      const tooLong = await client.json<{ error: { code: string } }>("/api/tts", {
        method: "POST",
        json: { text: "x".repeat(20_000) },
      });
      assert.ok(tooLong.status === 413 || tooLong.status === 400, String(tooLong.status));
      const health = await (await fetch(`${server.url}/api/health`, {
        headers: { authorization: `Bearer ${healthToken}` },
      })).text();
      for (const text of [JSON.stringify(voices.body), JSON.stringify(stt.body), health]) {
        assert.doesNotMatch(text, new RegExp(KEY));
      }
      assert.equal(JSON.parse(health).checks.voice.provider, "elevenlabs");
    } finally {
      await server.close();
      await stub.close();
    }
  },
});

Deno.test("without ELEVENLABS_API_KEY the voice routes answer 501 so the browser speaks by itself", async () => {
  const server = await startTestServer();
  try {
    const client = new ApiClient(server.url);
    const answers = [
      await client.json<{ error: { code: string } }>("/api/tts", { method: "POST", json: { text: "hi" } }),
      await client.json<{ error: { code: string } }>("/api/voices"),
      await client.json<{ error: { code: string } }>("/api/stt", {
        method: "POST",
        body: new Uint8Array(100),
        headers: { "content-type": "audio/webm" },
      }),
    ];
    for (const a of answers) {
      assert.equal(a.status, 501);
      assert.equal(a.body.error.code, "voice_not_configured");
    }
  } finally {
    await server.close();
  }
});
