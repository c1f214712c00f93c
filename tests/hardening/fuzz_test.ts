/**
 * Fuzzes every JSON endpoint with seeded random and boundary bodies (wrong types, nulls, arrays,
 * deep nesting, huge strings, unicode, lone surrogates, invalid UTF-8, prototype-pollution keys).
 * Every answer must be below 500, and a rejected request (4xx) must leave the database exactly as
 * it was (row counts and contents). Accepted ones are read to the end before the next request.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { startElevenLabsStub } from "../stubs/elevenlabs_server.ts";
import { startGeminiStub } from "../stubs/gemini_server.ts";
import { snapshot } from "./_db_snapshot.ts";
import { mulberry32 } from "../../ml/random.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261125);
const REQUESTS = Number(Deno.env.get("FUZZ_REQUESTS") ?? 320);

const STRINGS = [
  "",
  " ",
  "\n\t",
  "hello",
  "🙂👩‍👩‍👧‍👦🏳️‍🌈",
  "\u0000",
  "\ud800",
  "x\udfffy",
  "\u202e\u200b\ufeff",
  "Ω≈ç√∫˜µ≤≥÷",
  "'; drop table messages; --",
  "<script>alert(1)</script>",
  "${7*7}{{7*7}}",
  "a".repeat(200),
  "a".repeat(201),
  "b".repeat(8001),
  "c".repeat(32_001),
  "gemini-2.5-flash",
  "../../etc/passwd",
  "00000000-0000-0000-0000-000000000000",
];
const POLLUTION = ["__proto__", "constructor", "prototype", "__defineGetter__", "toString", "hasOwnProperty"];

function nested(depth: number, array: boolean): string {
  return array ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** A random JSON-ish value. */
function value(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * (depth > 2 ? 7 : 10));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return [true, false][Math.floor(r() * 2)];
    case 2:
      return [0, -1, 1e308, -0, 3.5, Number.MAX_SAFE_INTEGER + 2][Math.floor(r() * 6)];
    case 3:
    case 4:
    case 5:
    case 6:
      return STRINGS[Math.floor(r() * STRINGS.length)];
    case 7:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[key(r)] = value(r, depth + 1);
      return o;
    }
  }
}

function key(r: () => number): string {
  const keys = [
    "content",
    "title",
    "systemPrompt",
    "model",
    "messageId",
    "text",
    "voiceId",
    ...POLLUTION,
    "x",
  ];
  return keys[Math.floor(r() * keys.length)];
}

/** A body: mostly objects with the endpoint's fields set to random values, sometimes raw text. */
function body(r: () => number, fields: string[], validIds: string[]): string | Uint8Array<ArrayBuffer> {
  const roll = r();
  if (roll < 0.06) return nested(1000 + Math.floor(r() * 50_000), r() < 0.5);
  if (roll < 0.1) {
    return ['{"content":', "[", "{", '{"title": "x"', "\ufeff{}", "1e99999", "NaN", '"\\ud800"'][
      Math.floor(r() * 8)
    ];
  }
  if (roll < 0.13) {
    // invalid UTF-8 inside a string value
    const enc = new TextEncoder();
    return new Uint8Array([
      ...enc.encode(`{"${fields[0]}":"a`),
      0xff,
      0xfe,
      0xed,
      0xa0,
      0x80,
      ...enc.encode('"}'),
    ]);
  }
  if (roll < 0.2) return JSON.stringify(value(r));
  if (roll < 0.4) {
    // Plausible bodies: the fields as strings (often valid), to reach the handlers' later steps.
    const o: Record<string, unknown> = {};
    for (const f of fields) {
      if (r() < 0.2) continue;
      o[f] = f === "messageId" && validIds.length
        ? validIds[Math.floor(r() * validIds.length)]
        : f === "model" || f === "voiceId"
        ? ["gemini-2.5-flash", "JBFqnCBsd6RMkjVDRZzb", "bad id!"][Math.floor(r() * 3)]
        : STRINGS[Math.floor(r() * STRINGS.length)] || "ok";
    }
    return JSON.stringify(o);
  }
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    if (r() < 0.8) {
      o[f] = f === "messageId" && r() < 0.5 && validIds.length ? validIds[0] : value(r);
    }
  }
  if (r() < 0.3) o[POLLUTION[Math.floor(r() * POLLUTION.length)]] = value(r);
  let text = JSON.stringify(o);
  if (r() < 0.15) text = text.replace(/^\{/, '{"__proto__":{"polluted":1},'); // a real __proto__ key
  return text;
}

Deno.test({
  name:
    `fuzz every JSON endpoint (seed ${SEED}, ${REQUESTS} requests): no 5xx, rejected requests change nothing`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const gemini = await startGeminiStub({ apiKey: "k-fuzz-123456" });
    const voice = await startElevenLabsStub({ apiKey: "xi-fuzz-key-00000000000000000001" });
    const server = await startTestServer({
      GEMINI_API_KEY: "k-fuzz-123456",
      GEMINI_BASE_URL: gemini.url,
      ELEVENLABS_API_KEY: "xi-fuzz-key-00000000000000000001",
      ELEVENLABS_BASE_URL: voice.url,
      RATE_LIMIT_MESSAGES: "off",
      RATE_LIMIT_CONVERSATIONS: "off",
      DAILY_TOKEN_BUDGET: "0",
      RATE_LIMIT_MESSAGES_IP: "off",
      RATE_LIMIT_TTS: "off",
      RATE_LIMIT_TTS_IP: "off",
    });
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort().join();
    try {
      const r = mulberry32(SEED);
      const client = new ApiClient(server.url);
      const { body: conv } = await client.json<{ id: string }>("/api/conversations", {
        method: "POST",
        json: {},
      });
      const first = await client.fetch(`/api/conversations/${conv.id}/messages`, {
        method: "POST",
        json: { content: "seed message" },
      });
      await first.text();
      const userIds = async () =>
        (await client.json<{ messages: { id: string; role: string }[] }>(`/api/conversations/${conv.id}`))
          .body
          .messages.filter((m) => m.role === "user").map((m) => m.id);
      const endpoints = [
        { method: "POST", path: () => "/api/conversations", fields: ["title", "systemPrompt", "model"] },
        {
          method: "PATCH",
          path: () => `/api/conversations/${conv.id}`,
          fields: ["title", "systemPrompt", "model"],
        },
        { method: "POST", path: () => `/api/conversations/${conv.id}/messages`, fields: ["content"] },
        {
          method: "POST",
          path: () => `/api/conversations/${conv.id}/edit`,
          fields: ["messageId", "content"],
        },
        { method: "POST", path: () => `/api/conversations/${conv.id}/branch`, fields: ["messageId"] },
        {
          method: "POST",
          path: () => `/api/conversations/${conv.id}/versions`,
          fields: ["messageId", "content"],
        },
        { method: "POST", path: () => `/api/conversations/${conv.id}/regenerate`, fields: ["messageId"] },
        { method: "POST", path: () => `/api/conversations/${conv.id}/continue`, fields: ["messageId"] },
        { method: "POST", path: () => "/api/tts", fields: ["text", "voiceId"] },
        {
          method: "POST",
          path: () => `/api/conversations/${r() < 0.5 ? crypto.randomUUID() : "x%00y"}/messages`,
          fields: ["content"],
        },
      ];
      const counts: Record<string, number> = {};
      let before = await snapshot(server.services.db);
      for (let i = 0; i < REQUESTS; i++) {
        const ep = endpoints[Math.floor(r() * endpoints.length)];
        const ids = ep.fields.includes("messageId") ? await userIds() : [];
        const payload = body(r, ep.fields, ids);
        const contentType = r() < 0.92
          ? "application/json"
          : ["text/plain", "application/x-www-form-urlencoded", ""][
            Math.floor(r() * 3)
          ];
        const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
        const path = ep.path();
        const res = await client.fetch(path, { method: ep.method, headers, body: payload });
        const text = await res.text();
        const label = `#${i} ${ep.method} ${path} ${
          String(typeof payload === "string" ? payload : "<bytes>").slice(0, 120)
        }`;
        assert.ok(res.status < 500, `${label} -> ${res.status} ${text.slice(0, 200)}`);
        counts[res.status] = (counts[res.status] ?? 0) + 1;
        const after = await snapshot(server.services.db);
        if (res.status >= 400) assert.equal(after, before, `${label} -> ${res.status} changed the database`);
        else if (res.headers.get("content-type")?.startsWith("application/json") && text) JSON.parse(text);
        before = after;
      }
      assert.equal(
        Object.getOwnPropertyNames(Object.prototype).sort().join(),
        protoBefore,
        "Object.prototype untouched",
      );
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      const statuses = Object.keys(counts).map(Number);
      assert.ok(statuses.some((s) => s < 300) && statuses.some((s) => s >= 400), JSON.stringify(counts));
      console.log(`fuzz statuses: ${JSON.stringify(counts)}`);
    } finally {
      await server.close();
      await gemini.close();
      await voice.close();
    }
  },
});
