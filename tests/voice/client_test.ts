/** Browser-side voice logic run under Deno against the real handlers, SDK and ElevenLabs stub. */
import assert from "node:assert/strict";
import { type AudioSink, SpeechPlayer } from "../../lib/voice/client/player.ts";
import { fetchVoices, transcribe, VoiceApiError } from "../../lib/voice/client/api.ts";
import { pickRecorderMimeType } from "../../lib/voice/client/recorder.ts";
import { createElevenLabsService } from "../../lib/voice/elevenlabs.ts";
import { TokenBucketLimiter } from "../../lib/security/token_bucket.ts";
import { parseMpegFrameHeader } from "../../lib/voice/audio_probe.ts";
import { startElevenLabsStub } from "../stubs/elevenlabs_server.ts";
import { serveVoiceApi } from "./_serve_voice.ts";

const REPLY =
  "Sure, here is how it works. The first sentence is synthesized and starts playing right away. " +
  "Meanwhile the following sentences are requested in the background. That way the listener waits only " +
  "for the first one.";

async function withApi(
  fn: (env: { url: string; stub: Awaited<ReturnType<typeof startElevenLabsStub>> }) => Promise<void>,
  withKey = true,
) {
  const stub = await startElevenLabsStub({ apiKey: "k", latencyMs: 30 });
  const voice = withKey ? createElevenLabsService({ apiKey: "k", baseUrl: stub.url }) : null;
  const api = serveVoiceApi({ sessionId: "s", voice, limiter: new TokenBucketLimiter() });
  try {
    await fn({ url: api.url, stub });
  } finally {
    await api.close();
    await stub.close();
  }
}

/** A sink that "plays" each clip for `ms` and records when. */
function recordingSink(ms: number) {
  const played: Array<{ bytes: number; start: number; end: number; valid: boolean; aborted: boolean }> = [];
  const sink: AudioSink = {
    async play(clip, signal) {
      const bytes = new Uint8Array(await clip.arrayBuffer());
      const start = performance.now();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        signal.addEventListener("abort", () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
      played.push({
        bytes: bytes.length,
        start,
        end: performance.now(),
        valid: parseMpegFrameHeader(bytes) !== null,
        aborted: signal.aborted,
      });
    },
  };
  return { sink, played };
}

Deno.test("client player: plays sentences in order and fetches the next ones while the first plays", async () => {
  await withApi(async ({ url, stub }) => {
    const { sink, played } = recordingSink(80);
    const states: string[] = [];
    const player = new SpeechPlayer({ baseUrl: url, sink, fallback: null, onState: (s) => states.push(s) });
    const chunks = player.chunksOf(REPLY);
    assert.equal(chunks.length, 4);
    assert.equal(await player.speak(REPLY), "played");
    assert.deepEqual(played.map((p) => p.bytes), chunks.map((c) => c.length * 3 * 96));
    assert.ok(played.every((p) => p.valid));
    const tts = stub.requests.filter((r) => r.path.startsWith("/v1/text-to-speech"));
    assert.deepEqual(tts.map((r) => (r.json as { text: string }).text), chunks);
    // Sentences 2 and 3 were requested before sentence 1 finished playing.
    assert.ok(tts[1].at < played[0].end && tts[2].at < played[0].end);
    assert.equal(states[0], "loading");
    assert.equal(states.at(-1), "idle");
    assert.equal(player.state, "idle");
  });
});

Deno.test("client player: without splitting the reply is one request", async () => {
  await withApi(async ({ url, stub }) => {
    const { sink, played } = recordingSink(1);
    const player = new SpeechPlayer({ baseUrl: url, sink, fallback: null, split: false });
    assert.equal(await player.speak(REPLY), "played");
    assert.equal(played.length, 1);
    assert.equal(stub.requests.length, 1);
  });
});

Deno.test("client player: 501 falls back to browser speech for the whole reply", async () => {
  await withApi(async ({ url }) => {
    const spoken: string[] = [];
    const fallbacks: string[] = [];
    const player = new SpeechPlayer({
      baseUrl: url,
      sink: recordingSink(1).sink,
      fallback: (text) => Promise.resolve(void spoken.push(text)),
      onFallback: (e) => fallbacks.push((e as VoiceApiError).code),
    });
    assert.equal(await player.speak(REPLY), "browser");
    assert.deepEqual(spoken, [player.chunksOf(REPLY).join(" ")]);
    assert.deepEqual(fallbacks, ["voice_not_configured"]);
    const strict = new SpeechPlayer({ baseUrl: url, sink: recordingSink(1).sink, fallback: null });
    await assert.rejects(strict.speak("Hello."), (e) => e instanceof VoiceApiError && e.notConfigured);
  }, false);
});

Deno.test("client player: a provider failure mid-reply hands the rest to the browser", async () => {
  await withApi(async ({ url, stub }) => {
    const spoken: string[] = [];
    const { sink, played } = recordingSink(1);
    const player = new SpeechPlayer({
      baseUrl: url,
      sink,
      prefetch: 0,
      fallback: (text) => Promise.resolve(void spoken.push(text)),
    });
    const chunks = player.chunksOf(REPLY);
    const original = sink.play;
    sink.play = async (clip, signal) => {
      await original(clip, signal);
      stub.setFault({ kind: "server_error" }, { endpoint: "tts" });
    };
    assert.equal(await player.speak(REPLY), "browser");
    assert.equal(played.length, 1);
    assert.deepEqual(spoken, [chunks.slice(1).join(" ")]);
  });
});

Deno.test("client player: stop() interrupts playback and a new speak() replaces the old one", async () => {
  await withApi(async ({ url }) => {
    const { sink, played } = recordingSink(2000);
    const player = new SpeechPlayer({ baseUrl: url, sink, fallback: null });
    const first = player.speak(REPLY);
    // Waits for playback to start (a fixed 150 ms sleep found it still "loading" on a busy machine).
    while (player.state !== "playing") await new Promise((r) => setTimeout(r, 5));
    player.stop();
    // "stopped" (not "done") proves the 2 s of audio were interrupted.
    assert.equal(await first, "stopped");
    // The clip ended because of stop(), not because its 2 s ran out (no wall-clock bound needed).
    assert.deepEqual(played.map((p) => p.aborted), [true]);
    const a = player.speak("One sentence here.");
    const b = player.speak("Another one.");
    assert.equal(await a, "stopped");
    player.stop();
    assert.equal(await b, "stopped");
  });
});

Deno.test("client api: voices and transcription", async () => {
  await withApi(async ({ url, stub }) => {
    const { voices } = await fetchVoices({ baseUrl: url });
    assert.equal(voices.length, 2);
    stub.setTranscript("open the pod bay doors");
    const blob = new Blob([new Uint8Array(1000)], { type: "audio/webm;codecs=opus" });
    assert.deepEqual(await transcribe(blob, { baseUrl: url, durationMs: 1234.4 }), {
      text: "open the pod bay doors",
      languageCode: "en",
    });
    await assert.rejects(
      transcribe(blob, { baseUrl: url, durationMs: 500_000 }),
      (e) => e instanceof VoiceApiError && e.status === 413 && e.code === "audio_too_long",
    );
    await assert.rejects(
      fetchVoices({ baseUrl: "http://127.0.0.1:9" }),
      (e) => e instanceof VoiceApiError && e.code === "network_error",
    );
  });
});

Deno.test("client recorder: picks the first supported container", () => {
  assert.equal(pickRecorderMimeType((t) => t === "audio/mp4"), "audio/mp4");
  assert.equal(pickRecorderMimeType(() => true), "audio/webm;codecs=opus");
  assert.equal(pickRecorderMimeType(() => false), undefined);
});
