import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../lib/config.ts";

Deno.test("no environment selects the embedded defaults", () => {
  const c = loadConfig({});
  assert.equal(c.port, 8000);
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.dataDir, "./.data");
  assert.equal(c.gemini.apiKey, undefined);
  assert.equal(c.gemini.model, "gemini-2.5-flash");
  assert.equal(c.elevenLabs.apiKey, undefined);
  assert.equal(c.sessionSecrets, undefined);
  assert.equal(c.localModelDir, "./models/local");
});

Deno.test("empty strings count as unset; secrets split for rotation", () => {
  const c = loadConfig({ GEMINI_API_KEY: "  ", SESSION_SECRET: `${"a".repeat(32)}, ${"b".repeat(40)}` });
  assert.equal(c.gemini.apiKey, undefined);
  assert.deepEqual(c.sessionSecrets, ["a".repeat(32), "b".repeat(40)]);
});

Deno.test("each invalid value gives one clear line naming the variable, and secrets are never echoed", () => {
  let error: unknown;
  try {
    loadConfig({
      PORT: "eighty",
      DATABASE_URL: "mysql://user:hunter2@db/x",
      SESSION_SECRET: "short-secret",
      LOG_LEVEL: "loud",
      GEMINI_BASE_URL: "ftp://example.com",
    });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.problems, [
    'PORT: expected a port number (got "eighty")',
    "DATABASE_URL: expected a postgres:// or postgresql:// URL",
    "GEMINI_BASE_URL: expected an http(s) URL of a Gemini-protocol server",
    "SESSION_SECRET: expected at least 32 characters (comma-separate several to rotate: newest first)",
    'LOG_LEVEL: expected one of debug, info, warn, error, silent (got "loud")',
  ]);
  assert.doesNotMatch(error.message, /hunter2|short-secret/);
});

Deno.test("LISTEN_HOST sets the listen address; the old HOSTNAME still works with a warning", () => {
  assert.equal(loadConfig({}).hostname, "0.0.0.0");
  assert.deepEqual(loadConfig({}).warnings, []);
  const both = loadConfig({ LISTEN_HOST: "127.0.0.1", HOSTNAME: "my-laptop" });
  assert.equal(both.hostname, "127.0.0.1");
  assert.deepEqual(both.warnings, []);
  const old = loadConfig({ HOSTNAME: "::1" });
  assert.equal(old.hostname, "::1");
  assert.match(old.warnings![0], /HOSTNAME is deprecated.*LISTEN_HOST/);
});

Deno.test("ML_BACKEND and ML_NATIVE are validated at start like every other setting", () => {
  assert.deepEqual(loadConfig({}).ml, { backend: "wasm", native: true });
  assert.deepEqual(loadConfig({ ML_BACKEND: " CPU ", ML_NATIVE: "Off" }).ml, {
    backend: "cpu",
    native: false,
  });
  assert.deepEqual(loadConfig({ ML_BACKEND: "webgpu", ML_NATIVE: "1" }).ml, {
    backend: "webgpu",
    native: true,
  });
  let error: unknown;
  try {
    loadConfig({ ML_BACKEND: "cuda", ML_NATIVE: "maybe" });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.problems, [
    'ML_BACKEND: expected one of wasm, cpu, webgpu (got "cuda")',
    'ML_NATIVE: expected on or off (also 1/0, true/false, yes/no) (got "maybe")',
  ]);
});

Deno.test("cost limits: defaults, overrides, and one clear line per bad value (the health token never echoed)", () => {
  const c = loadConfig({});
  assert.equal(c.dailyTokenBudget, 200_000);
  assert.equal(c.historyTokenBudget, 32_000);
  assert.equal(c.healthCacheSeconds, 60);
  assert.equal(c.healthToken, undefined);
  assert.equal(c.anonymousRetentionDays, 90);
  assert.equal(c.bodyTimeoutSeconds, 30);
  assert.deepEqual(c.rateLimits.conv, { capacity: 60, refillPerSecond: 1 });
  assert.deepEqual(c.rateLimits.conv_ip, { capacity: 240, refillPerSecond: 4 });
  const set = loadConfig({
    DAILY_TOKEN_BUDGET: "0",
    RATE_LIMIT_CONVERSATIONS: "off",
    ANONYMOUS_RETENTION_DAYS: "0",
    HEALTH_TOKEN: "x".repeat(32),
  });
  assert.equal(set.dailyTokenBudget, 0);
  assert.equal(set.rateLimits.conv, null);
  assert.equal(set.anonymousRetentionDays, 0);
  assert.equal(set.healthToken, "x".repeat(32));
  let error: unknown;
  try {
    loadConfig({
      DAILY_TOKEN_BUDGET: "lots",
      HISTORY_TOKEN_BUDGET: "10",
      HEALTH_TOKEN: "short-token",
      BODY_TIMEOUT_SECONDS: "-1",
    });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.problems.map((p) => p.split(":")[0]), [
    "DAILY_TOKEN_BUDGET",
    "HISTORY_TOKEN_BUDGET",
    "HEALTH_TOKEN",
    "BODY_TIMEOUT_SECONDS",
  ]);
  assert.doesNotMatch(error.message, /short-token/);
});

Deno.test("reply lifecycle settings: defaults, values, and one clear line per bad value", () => {
  const d = loadConfig({});
  assert.deepEqual([d.replyMaxSeconds, d.replyStaleSeconds, d.databaseListen], [600, 30, "auto"]);
  const c = loadConfig({ REPLY_MAX_SECONDS: "90", REPLY_STALE_SECONDS: "6", DATABASE_LISTEN: "off" });
  assert.deepEqual([c.replyMaxSeconds, c.replyStaleSeconds, c.databaseListen], [90, 6, "off"]);
  let error: unknown;
  try {
    loadConfig({ REPLY_MAX_SECONDS: "0", REPLY_STALE_SECONDS: "soon", DATABASE_LISTEN: "yes" });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.problems, [
    'REPLY_MAX_SECONDS: expected a whole number of seconds (1-86400) (got "0")',
    'REPLY_STALE_SECONDS: expected a whole number of seconds (2-3600) (got "soon")',
    'DATABASE_LISTEN: expected one of auto, on, off (got "yes")',
  ]);
});
