/** The real SDK (through our service) against the ElevenLabs protocol stub, for each endpoint and fault. */
import assert from "node:assert/strict";
import { createElevenLabsService, voiceServiceFromEnv } from "../../lib/voice/elevenlabs.ts";
import { voiceHealth } from "../../lib/voice/service.ts";
import { VoiceError } from "../../lib/voice/errors.ts";
import { mp3DurationSeconds, parseMpegFrameHeader } from "../../lib/voice/audio_probe.ts";
import { SILENT_MP3_FRAME_SECONDS, startElevenLabsStub } from "../stubs/elevenlabs_server.ts";

async function withStub(
  fn: (
    ctx: {
      stub: Awaited<ReturnType<typeof startElevenLabsStub>>;
      svc: ReturnType<typeof createElevenLabsService>;
    },
  ) => Promise<void>,
) {
  const stub = await startElevenLabsStub({ apiKey: "sk-test-123" });
  const svc = createElevenLabsService({ apiKey: "sk-test-123", baseUrl: stub.url, defaultVoiceId: "voiceA" });
  try {
    await fn({ stub, svc });
  } finally {
    await stub.close();
  }
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<VoiceError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof VoiceError, `expected VoiceError, got ${err}`);
    assert.equal(err.code, code);
    assert.ok(!err.message.includes("sk-test-123"));
    return err;
  }
  throw new Error(`expected rejection with ${code}`);
}

Deno.test("elevenlabs: stream TTS returns valid MP3 frames sized by the text", async () => {
  await withStub(async ({ stub, svc }) => {
    const text = "Hello there, this is a test.";
    const bytes = new Uint8Array(
      await new Response(await svc.synthesize({ text, voiceId: "voiceA" })).arrayBuffer(),
    );
    const header = parseMpegFrameHeader(bytes);
    assert.deepEqual(
      header && [header.version, header.layer, header.bitrateKbps, header.sampleRate, header.frameBytes],
      [
        1,
        3,
        32,
        48000,
        96,
      ],
    );
    assert.equal(bytes.length, text.length * 3 * 96);
    assert.ok(Math.abs(mp3DurationSeconds(bytes)! - text.length * 3 * SILENT_MP3_FRAME_SECONDS) < 1e-9);
    const r = stub.requests[0];
    assert.equal(r.path, "/v1/text-to-speech/voiceA/stream");
    assert.equal(r.headers["xi-api-key"], "sk-test-123");
    assert.deepEqual(r.json, { text, model_id: "eleven_flash_v2_5" });
    assert.equal(r.query.output_format, "mp3_44100_128");
  });
});

Deno.test("elevenlabs: voices are listed and cached; STT sends multipart and returns the transcript", async () => {
  await withStub(async ({ stub, svc }) => {
    const voices = await svc.listVoices();
    assert.deepEqual(voices.map((v) => v.name), ["George", "Rachel"]);
    await svc.listVoices();
    assert.equal(stub.requests.filter((r) => r.path === "/v1/voices").length, 1);

    stub.setTranscript("what is the weather in Paris");
    const t = await svc.transcribe({
      audio: new Blob([new Uint8Array(500)], { type: "audio/webm" }),
      mimeType: "audio/webm",
      filename: "rec.webm",
    });
    assert.deepEqual(t, { text: "what is the weather in Paris", languageCode: "en" });
    const r = stub.requests.at(-1)!;
    assert.equal(r.path, "/v1/speech-to-text");
    assert.deepEqual(r.form, {
      model_id: "scribe_v1",
      file: { name: "rec.webm", type: "audio/webm", size: 500 },
    });
  });
});

Deno.test("elevenlabs: faults map to typed errors (401, 429 + Retry-After, 500, wrong key)", async () => {
  await withStub(async ({ stub, svc }) => {
    stub.setFault({ kind: "unauthorized" });
    await rejectsWithCode(svc.synthesize({ text: "Hi.", voiceId: "v" }), "upstream_auth");
    stub.setFault({ kind: "rate_limited", retryAfterSeconds: 7 });
    const e = await rejectsWithCode(svc.synthesize({ text: "Hi.", voiceId: "v" }), "upstream_rate_limited");
    assert.equal(e.retryAfterSeconds, 7);
    stub.setFault({ kind: "server_error" }, { endpoint: "voices" });
    await rejectsWithCode(svc.listVoices(), "upstream_error");
    stub.setFault({ kind: "server_error" }, { endpoint: "stt" });
    await rejectsWithCode(
      svc.transcribe({ audio: new Blob([new Uint8Array(10)]), mimeType: "audio/webm" }),
      "upstream_error",
    );
    stub.setFault(null);
    // A failed voice lookup is not cached.
    assert.equal((await svc.listVoices()).length, 2);
    const wrongKey = createElevenLabsService({ apiKey: "nope", baseUrl: stub.url });
    await rejectsWithCode(wrongKey.listVoices(), "upstream_auth");
    const h = await voiceHealth(wrongKey);
    assert.equal(h.ok, false);
    assert.equal(h.provider, "elevenlabs");
  });
});

Deno.test("elevenlabs: a stream cut mid-way errors the body after some audio", async () => {
  await withStub(async ({ stub, svc }) => {
    stub.setFault({ kind: "cut", afterBytes: 960 }, { endpoint: "tts", times: 1 });
    const reader = (await svc.synthesize({ text: "A sentence long enough to stream.", voiceId: "v" }))
      .getReader();
    let received = 0;
    await assert.rejects(async () => {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
      }
    });
    assert.equal(received, 960);
    // The fault was for one request only.
    const ok = await new Response(await svc.synthesize({ text: "Again.", voiceId: "v" })).arrayBuffer();
    assert.equal(ok.byteLength, "Again.".length * 3 * 96);
  });
});

Deno.test("elevenlabs: unreachable server and env configuration", async () => {
  const svc = createElevenLabsService({ apiKey: "k", baseUrl: "http://127.0.0.1:9" });
  await rejectsWithCode(svc.synthesize({ text: "Hi.", voiceId: "v" }), "upstream_unreachable");
  assert.equal(voiceServiceFromEnv({}), null);
  assert.equal(voiceServiceFromEnv({ ELEVENLABS_API_KEY: "  " }), null);
  const fromEnv = voiceServiceFromEnv({ ELEVENLABS_API_KEY: "k", ELEVENLABS_VOICE_ID: "myVoice" });
  assert.equal(fromEnv?.defaultVoiceId, "myVoice");
  assert.deepEqual(await voiceHealth(null), { ok: true, provider: "browser" });
});
