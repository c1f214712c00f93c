import assert from "node:assert/strict";
import { normalizeMimeType } from "../../lib/voice/limits.ts";
import { TokenBucketLimiter } from "../../lib/security/token_bucket.ts";
import {
  mp3DurationSeconds,
  oggDurationSeconds,
  parseMpegFrameHeader,
  probeAudioDurationSeconds,
} from "../../lib/voice/audio_probe.ts";
import { silentMp3 } from "../stubs/elevenlabs_server.ts";

Deno.test("limits: token bucket refills over time and refuses without charging", async () => {
  let now = 0;
  const limiter = new TokenBucketLimiter({
    policies: { t: { capacity: 10, refillPerSecond: 2 } },
    now: () => now,
  });
  assert.deepEqual(await limiter.take("t:a", 8), { allowed: true, remaining: 2 });
  assert.deepEqual(await limiter.take("t:a", 5), { allowed: false, retryAfterSeconds: 2 });
  assert.deepEqual(await limiter.take("t:a", 2), { allowed: true, remaining: 0 });
  now = 1500;
  assert.deepEqual(await limiter.take("t:a", 3), { allowed: true, remaining: 0 });
  assert.deepEqual(await limiter.take("t:b", 10), { allowed: true, remaining: 0 });
  assert.equal((await limiter.take("t:b", 11)).allowed, false);
  now = 1e9;
  assert.deepEqual(await limiter.take("t:a", 10), { allowed: true, remaining: 0 });
});

Deno.test("limits: MIME types are normalized", () => {
  assert.equal(normalizeMimeType("Audio/WebM; codecs=opus"), "audio/webm");
  assert.equal(normalizeMimeType(null), "");
});

Deno.test("audio probe: MPEG headers and MP3 duration", () => {
  // 128 kbps, 44.1 kHz, stereo, padded: 418 bytes.
  assert.deepEqual(parseMpegFrameHeader(new Uint8Array([0xff, 0xfb, 0x92, 0x00])), {
    version: 1,
    layer: 3,
    bitrateKbps: 128,
    sampleRate: 44100,
    padding: true,
    channels: 2,
    frameBytes: 418,
    samplesPerFrame: 1152,
  });
  assert.equal(parseMpegFrameHeader(new Uint8Array([0xff, 0xfb, 0xf0, 0x00])), null); // bad bitrate
  assert.equal(parseMpegFrameHeader(new Uint8Array([0x49, 0x44, 0x33, 0x04])), null);
  assert.ok(Math.abs(mp3DurationSeconds(silentMp3(125))! - 3) < 1e-9);
  assert.ok(Math.abs(probeAudioDurationSeconds(silentMp3(250), "audio/mpeg")! - 6) < 1e-9);
  assert.equal(mp3DurationSeconds(new Uint8Array(100)), null);
});

Deno.test("audio probe: Ogg Opus duration from the last granule position", () => {
  const page = (granule: bigint, payload: Uint8Array) => {
    const p = new Uint8Array(27 + 1 + payload.length);
    p.set(new TextEncoder().encode("OggS"));
    new DataView(p.buffer).setBigInt64(6, granule, true);
    p[26] = 1;
    p[27] = payload.length;
    p.set(payload, 28);
    return p;
  };
  const head = new Uint8Array(19);
  head.set(new TextEncoder().encode("OpusHead"));
  head[8] = 1;
  new DataView(head.buffer).setUint16(10, 312, true);
  const bytes = new Uint8Array([...page(0n, head), ...page(48000n * 5n + 312n, new Uint8Array(10))]);
  assert.equal(oggDurationSeconds(bytes), 5);
  assert.equal(probeAudioDurationSeconds(bytes, "audio/ogg"), 5);
  assert.equal(probeAudioDurationSeconds(bytes, "audio/webm"), null);
});
