/** OPENAI_BASE_URL / OPENAI_PROVIDERS configuration: parsed, validated one line per problem, keys never echoed. */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../lib/config.ts";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.doesNotMatch(e.message, /sk-secret-value/);
    return e.problems;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("config: no OpenAI provider by default; OPENAI_BASE_URL makes one named after its host", () => {
  assert.deepEqual(loadConfig({}).openai, []);
  const c = loadConfig({ OPENAI_BASE_URL: "http://localhost:11434/v1", OPENAI_MODEL: "llama3.2:3b" });
  assert.deepEqual(c.openai, [{
    id: "openai",
    label: "localhost:11434",
    baseUrl: "http://localhost:11434/v1",
    apiKey: undefined,
    defaultModel: "llama3.2:3b",
  }]);
});

Deno.test("config: OPENAI_API_KEY alone means OpenAI itself", () => {
  const c = loadConfig({ OPENAI_API_KEY: "sk-secret-value" });
  assert.deepEqual(c.openai.map((p) => [p.id, p.label, p.baseUrl]), [
    ["openai", "api.openai.com", "https://api.openai.com/v1"],
  ]);
});

Deno.test("config: OPENAI_PROVIDERS adds several servers after OPENAI_BASE_URL", () => {
  const c = loadConfig({
    OPENAI_BASE_URL: "https://api.openai.com/v1",
    OPENAI_API_KEY: "sk-secret-value",
    OPENAI_PROVIDERS: JSON.stringify([
      { id: "ollama", label: "Ollama", baseUrl: "http://localhost:11434/v1", visionModels: ["llava*"] },
      { id: "llamacpp", baseUrl: "http://127.0.0.1:8080/v1", models: ["default"] },
    ]),
  });
  assert.deepEqual(c.openai.map((p) => [p.id, p.label, p.apiKey]), [
    ["openai", "api.openai.com", "sk-secret-value"],
    ["ollama", "Ollama", undefined],
    ["llamacpp", "127.0.0.1:8080", undefined],
  ]);
  assert.deepEqual(c.openai[1].visionModels, ["llava*"]);
  assert.deepEqual(c.openai[2].models, ["default"]);
});

Deno.test("config: bad OpenAI settings give one line each, naming the entry and field, never the key", () => {
  assert.deepEqual(problems({ OPENAI_BASE_URL: "localhost:11434" }), [
    "OPENAI_BASE_URL: expected an http(s) URL of an OpenAI-compatible server (e.g. http://localhost:11434/v1)",
  ]);
  assert.deepEqual(problems({ OPENAI_PROVIDERS: "{not json" }), [
    "OPENAI_PROVIDERS: expected a JSON array of providers",
  ]);
  assert.deepEqual(
    problems({
      OPENAI_PROVIDERS: JSON.stringify([
        { id: "Ollama!", baseUrl: "ftp://x", apiKey: "sk-secret-value" },
        { id: "local", baseUrl: "http://a/v1" },
        { id: "a", baseUrl: "http://a/v1" },
        { id: "a", baseUrl: "http://b/v1", extra: 1 },
      ]),
    }),
    [
      `OPENAI_PROVIDERS: [0].id: expected lowercase letters, digits and '-' (e.g. "ollama")`,
      "OPENAI_PROVIDERS: [0].baseUrl: expected an http(s) URL",
      "OPENAI_PROVIDERS: [1].id: this id is reserved",
      'OPENAI_PROVIDERS: [3]: Unrecognized key: "extra"',
      'OPENAI_PROVIDERS: [3].id: duplicate id "a"',
    ],
  );
  assert.deepEqual(
    problems({
      OPENAI_BASE_URL: "http://a/v1",
      OPENAI_PROVIDERS: JSON.stringify([{ id: "openai", baseUrl: "http://b/v1" }]),
    }),
    ['OPENAI_PROVIDERS: the id "openai" is taken by OPENAI_BASE_URL (pick another id, or configure it in one place)'],
  );
});
