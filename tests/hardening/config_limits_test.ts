/** The limit settings in the environment: defaults, `off`, and one clear line per bad value. */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../lib/config.ts";

Deno.test("limit settings: defaults, overrides, off", () => {
  const d = loadConfig({});
  assert.deepEqual(d.rateLimits.msg, { capacity: 30, refillPerSecond: 0.5 });
  assert.deepEqual(d.rateLimits.msg_ip, { capacity: 120, refillPerSecond: 2 });
  assert.deepEqual(d.rateLimits.tts, { capacity: 3000, refillPerSecond: 50 });
  assert.deepEqual(d.rateLimits.stt, { capacity: 10, refillPerSecond: 10 / 60 });
  assert.equal(d.maxStreamsPerSession, 3);
  assert.equal(d.trustProxyHops, 0);
  const c = loadConfig({
    RATE_LIMIT_MESSAGES: "5/s",
    RATE_LIMIT_TTS_IP: "off",
    MAX_STREAMS_PER_SESSION: "0",
    TRUST_PROXY_HOPS: "2",
  });
  assert.deepEqual(c.rateLimits.msg, { capacity: 5, refillPerSecond: 5 });
  assert.equal(c.rateLimits.tts_ip, null);
  assert.equal(c.maxStreamsPerSession, 0);
  assert.equal(c.trustProxyHops, 2);
});

Deno.test("bad limit settings: one line each, naming the variable", () => {
  let error: unknown;
  try {
    loadConfig({
      RATE_LIMIT_MESSAGES: "lots",
      RATE_LIMIT_STT: "5/fortnight",
      MAX_STREAMS_PER_SESSION: "-1",
      TRUST_PROXY_HOPS: "x",
    });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError);
  assert.equal(error.problems.length, 4, error.problems.join("\n"));
  assert.match(error.problems.join("\n"), /RATE_LIMIT_MESSAGES: expected "<count>\/<s\|min\|h>"/);
  assert.match(error.problems.join("\n"), /RATE_LIMIT_STT: .*5\/fortnight/);
  assert.match(error.problems.join("\n"), /MAX_STREAMS_PER_SESSION/);
  assert.match(error.problems.join("\n"), /TRUST_PROXY_HOPS/);
});
