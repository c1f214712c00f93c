/** The voice handlers over the real SDK and the ElevenLabs stub: each limit, each failure, the 501 path. */
import assert from "node:assert/strict";
import { handleStt, handleTts, handleVoices, type VoiceContext } from "../../lib/voice/handlers.ts";
import { createElevenLabsService } from "../../lib/voice/elevenlabs.ts";
import { DEFAULT_VOICE_LIMITS } from "../../lib/voice/limits.ts";
import { TokenBucketLimiter } from "../../lib/security/token_bucket.ts";
import { parseMpegFrameHeader } from "../../lib/voice/audio_probe.ts";
import { type ElevenLabsStub, startElevenLabsStub } from "../stubs/elevenlabs_server.ts";

const KEY = "sk-secret-KEY-4242";
const seen: Array<{ status: number; headers: string; body: string }> = [];

/** Reads a response fully and records it for the key-leak check. */
async function read(
  res: Response,
): Promise<{ status: number; json: unknown; bytes: Uint8Array; headers: Headers }> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const body = new TextDecoder().decode(bytes);
  seen.push({ status: res.status, headers: JSON.stringify([...res.headers]), body });
  let json: unknown = null;
  if ((res.headers.get("content-type") ?? "").includes("json")) json = JSON.parse(body);
  return { status: res.status, json, bytes, headers: res.headers };
}

function errorCode(json: unknown): string {
  return (json as { error: { code: string } }).error.code;
}

async function setup(limiterNow?: () => number): Promise<{ stub: ElevenLabsStub; ctx: VoiceContext }> {
  const stub = await startElevenLabsStub({ apiKey: KEY });
  const voice = createElevenLabsService({ apiKey: KEY, baseUrl: stub.url, defaultVoiceId: "defVoice" });
  return {
    stub,
    ctx: {
      sessionId: "s1",
      voice,
      limiter: new TokenBucketLimiter({ now: limiterNow }),
      limits: DEFAULT_VOICE_LIMITS,
    },
  };
}

const tts = (body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
  new Request("http://app/api/tts", {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

function wav(seconds: number, sampleRate = 8000): Uint8Array<ArrayBuffer> {
  const data = Math.round(seconds * sampleRate);
  const out = new Uint8Array(44 + data);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode("RIFF"), 0);
  v.setUint32(4, 36 + data, true);
  out.set(new TextEncoder().encode("WAVEfmt "), 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate, true); // 8-bit mono: byte rate = sample rate
  v.setUint16(32, 1, true);
  v.setUint16(34, 8, true);
  out.set(new TextEncoder().encode("data"), 36);
  v.setUint32(40, data, true);
  out.fill(128, 44);
  return out;
}

function sttForm(file: Blob, filename: string, extra: Record<string, string> = {}): Request {
  const form = new FormData();
  form.set("file", file, filename);
  for (const [k, v] of Object.entries(extra)) form.set(k, v);
  return new Request("http://app/api/stt", { method: "POST", body: form });
}

Deno.test("handlers: 501 for every endpoint when no key is configured", async () => {
  const ctx: VoiceContext = { sessionId: "s", voice: null };
  for (
    const res of [
      await handleTts(tts({ text: "Hi." }), ctx),
      await handleVoices(new Request("http://app/api/voices"), ctx),
      await handleStt(sttForm(new Blob([new Uint8Array(4)], { type: "audio/webm" }), "a.webm"), ctx),
    ]
  ) {
    const r = await read(res);
    assert.equal(r.status, 501);
    assert.equal(errorCode(r.json), "voice_not_configured");
  }
});

Deno.test("handlers: TTS streams audio/mpeg from the provider with the default or chosen voice", async () => {
  const { stub, ctx } = await setup();
  try {
    const r = await read(await handleTts(tts({ text: "  Hello world.  " }), ctx));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "audio/mpeg");
    assert.equal(r.bytes.length, "Hello world.".length * 3 * 96);
    assert.equal(parseMpegFrameHeader(r.bytes)?.layer, 3);
    assert.equal(stub.requests[0].path, "/v1/text-to-speech/defVoice/stream");
    await read(await handleTts(tts({ text: "Hi.", voiceId: "21m00Tcm4TlvDq8ikWAM" }), ctx));
    assert.equal(stub.requests[1].path, "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream");
  } finally {
    await stub.close();
  }
});

Deno.test("handlers: TTS request limits (405, 415, 413, 400)", async () => {
  const { stub, ctx } = await setup();
  try {
    const cases: Array<[Request, number, string]> = [
      [new Request("http://app/api/tts"), 405, "method_not_allowed"],
      [
        tts("text=hi", { "content-type": "application/x-www-form-urlencoded" }),
        415,
        "unsupported_media_type",
      ],
      [tts({ text: "x".repeat(40_000) }), 413, "body_too_large"],
      [tts("{not json"), 400, "invalid_json"],
      [tts({ text: "   " }), 400, "empty_text"],
      [tts({ text: 5 }), 400, "invalid_request"],
      [tts({ text: "x".repeat(DEFAULT_VOICE_LIMITS.maxTtsChars + 1) }), 413, "text_too_long"],
      [tts({ text: "Hi.", voiceId: "../../etc/passwd" }), 400, "invalid_request"],
      [tts({ text: "Hi.", extra: 1 }), 400, "invalid_request"],
    ];
    for (const [req, status, code] of cases) {
      const r = await read(await handleTts(req, ctx));
      assert.equal(r.status, status, code);
      assert.equal(errorCode(r.json), code);
    }
    assert.equal(stub.requests.length, 0, "nothing invalid reaches the provider");
  } finally {
    await stub.close();
  }
});

Deno.test("handlers: per-session rate limit answers 429 with Retry-After, other sessions unaffected", async () => {
  let now = 0;
  const { stub, ctx } = await setup(() => now);
  try {
    const text = "x".repeat(2000);
    assert.equal((await read(await handleTts(tts({ text }), ctx))).status, 200);
    const limited = await read(await handleTts(tts({ text }), ctx));
    assert.equal(limited.status, 429);
    assert.equal(errorCode(limited.json), "rate_limited");
    // 3000-char bucket, 1000 left, 2000 needed at 50 chars/s -> 20 s.
    assert.equal(limited.headers.get("retry-after"), "20");
    assert.equal((await read(await handleTts(tts({ text }), { ...ctx, sessionId: "s2" }))).status, 200);
    now += 20_000;
    assert.equal((await read(await handleTts(tts({ text }), ctx))).status, 200);
    for (let i = 0; i < 10; i++) {
      const r = await read(
        await handleStt(sttForm(new Blob([wav(0.1)], { type: "audio/wav" }), "a.wav"), ctx),
      );
      assert.equal(r.status, 200);
    }
    const stt = await read(
      await handleStt(sttForm(new Blob([wav(0.1)], { type: "audio/wav" }), "a.wav"), ctx),
    );
    assert.equal(stt.status, 429);
    assert.equal(stt.headers.get("retry-after"), "6");
  } finally {
    await stub.close();
  }
});

Deno.test("handlers: provider failures become 502/503, never 500", async () => {
  const { stub, ctx } = await setup();
  try {
    const expect = async (res: Promise<Response>, status: number, code: string) => {
      const r = await read(await res);
      assert.equal(r.status, status, code);
      assert.equal(errorCode(r.json), code);
      return r;
    };
    stub.setFault({ kind: "unauthorized" });
    await expect(handleTts(tts({ text: "Hi." }), ctx), 502, "voice_upstream_auth");
    await expect(handleVoices(new Request("http://app/api/voices"), ctx), 502, "voice_upstream_auth");
    stub.setFault({ kind: "rate_limited", retryAfterSeconds: 9 });
    const busy = await expect(handleTts(tts({ text: "Hi." }), ctx), 503, "voice_upstream_busy");
    assert.equal(busy.headers.get("retry-after"), "9");
    stub.setFault({ kind: "server_error" });
    await expect(handleTts(tts({ text: "Hi." }), ctx), 502, "voice_upstream_error");
    await expect(
      handleStt(sttForm(new Blob([wav(0.1)], { type: "audio/wav" }), "a.wav"), ctx),
      502,
      "voice_upstream_error",
    );
    stub.setFault({ kind: "cut", afterBytes: 0 });
    await expect(handleTts(tts({ text: "Hi there." }), ctx), 502, "voice_upstream_error");
    stub.setFault(null);
    const down = { ...ctx, voice: createElevenLabsService({ apiKey: KEY, baseUrl: "http://127.0.0.1:9" }) };
    await expect(handleTts(tts({ text: "Hi." }), down), 502, "voice_upstream_unreachable");
  } finally {
    await stub.close();
  }
});

Deno.test("handlers: a TTS stream cut after the first bytes breaks the client's download", async () => {
  const { stub, ctx } = await setup();
  try {
    stub.setFault({ kind: "cut", afterBytes: 768 * 2 });
    const res = await handleTts(tts({ text: "A long enough sentence to be cut part way." }), ctx);
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let got = 0;
    await assert.rejects(async () => {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        got += value.length;
      }
    });
    assert.equal(got, 768 * 2);
  } finally {
    await stub.close();
  }
});

Deno.test("handlers: voices list", async () => {
  const { stub, ctx } = await setup();
  try {
    const r = await read(await handleVoices(new Request("http://app/api/voices"), ctx));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      voices: [
        { id: "JBFqnCBsd6RMkjVDRZzb", name: "George", category: "premade" },
        { id: "21m00Tcm4TlvDq8ikWAM", name: "Rachel", category: "premade" },
      ],
      defaultVoiceId: "defVoice",
    });
    assert.equal(
      (await read(await handleVoices(new Request("http://app/api/voices", { method: "POST" }), ctx))).status,
      405,
    );
  } finally {
    await stub.close();
  }
});

Deno.test("handlers: STT transcribes multipart and raw uploads; enforces type, size and duration", async () => {
  const { stub, ctx } = await setup();
  try {
    stub.setTranscript("turn on the lights");
    const ok = await read(await handleStt(sttForm(new Blob([wav(1)], { type: "audio/wav" }), "a.wav"), ctx));
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { text: "turn on the lights", languageCode: "en" });
    const webm = new Blob([new Uint8Array(2048)], { type: "audio/webm;codecs=opus" });
    assert.equal(
      (await read(await handleStt(sttForm(webm, "r.webm", { durationMs: "3500" }), ctx))).status,
      200,
    );
    assert.deepEqual(stub.requests.at(-1)!.form?.file, { name: "r.webm", type: "audio/webm", size: 2048 });
    const raw = new Request("http://app/api/stt?durationMs=900", {
      method: "POST",
      headers: { "content-type": "audio/ogg" },
      body: new Uint8Array(300),
    });
    assert.equal((await read(await handleStt(raw, ctx))).status, 200);

    const small = {
      ...ctx,
      limits: { ...DEFAULT_VOICE_LIMITS, maxUploadBytes: 10_000, maxDurationSeconds: 2 },
    };
    const cases: Array<[Request, number, string]> = [
      [new Request("http://app/api/stt"), 405, "method_not_allowed"],
      [
        new Request("http://app/api/stt", {
          method: "POST",
          body: "hi",
          headers: { "content-type": "text/plain" },
        }),
        415,
        "unsupported_media_type",
      ],
      [
        new Request("http://app/api/stt", {
          method: "POST",
          body: "x",
          headers: { "content-type": "audio/x-foo" },
        }),
        415,
        "unsupported_audio_type",
      ],
      [
        sttForm(new Blob([new Uint8Array(10)], { type: "video/mp4" }), "v.mp4"),
        415,
        "unsupported_audio_type",
      ],
      [
        sttForm(new Blob([new Uint8Array(20_000)], { type: "audio/webm" }), "big.webm"),
        413,
        "body_too_large",
      ],
      [
        // No Content-Length: the cap applies while streaming the body.
        new Request("http://app/api/stt", {
          method: "POST",
          headers: { "content-type": "audio/webm" },
          body: ReadableStream.from([new Uint8Array(6000), new Uint8Array(6000)]),
        }),
        413,
        "body_too_large",
      ],
      [sttForm(new Blob([], { type: "audio/webm" }), "empty.webm"), 400, "empty_audio"],
      [
        sttForm(new Blob([new Uint8Array(100)], { type: "audio/webm" }), "a.webm", { durationMs: "2500" }),
        413,
        "audio_too_long",
      ],
      [
        sttForm(new Blob([new Uint8Array(100)], { type: "audio/webm" }), "a.webm", { durationMs: "soon" }),
        400,
        "invalid_request",
      ],
      [sttForm(new Blob([wav(1.2, 4000)], { type: "audio/wav" }), "a.wav"), 200, ""],
      [sttForm(new Blob([wav(2.5, 2000)], { type: "audio/wav" }), "long.wav"), 413, "audio_too_long"],
    ];
    for (const [req, status, code] of cases) {
      const r = await read(await handleStt(req, small));
      assert.equal(r.status, status, `${code} ${JSON.stringify(r.json)}`);
      if (code) assert.equal(errorCode(r.json), code);
    }
    const form = new FormData();
    form.set("note", "no file");
    const noFile = await read(
      await handleStt(new Request("http://app/api/stt", { method: "POST", body: form }), ctx),
    );
    assert.equal(noFile.status, 400);
  } finally {
    await stub.close();
  }
});

Deno.test("handlers: the API key never appears in any response seen by these tests", () => {
  assert.ok(seen.length >= 40, `only ${seen.length} responses recorded`);
  for (const r of seen) {
    assert.ok(!r.body.includes(KEY) && !r.headers.includes(KEY), `key leaked in a ${r.status} response`);
    assert.notEqual(r.status, 500);
  }
});
