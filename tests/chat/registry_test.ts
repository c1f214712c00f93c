/** The provider registry: combined model list, caching, routing by model id, the allowlist. */
import assert from "node:assert/strict";
import { ChatError } from "../../lib/chat/errors.ts";
import type { ChatChunk, ChatModelInfo, ChatProvider, ChatRequest } from "../../lib/chat/provider.ts";
import { collectReply } from "../_helpers/collect_reply.ts";
import { ProviderRegistry, UnknownModelError } from "../../lib/chat/registry.ts";

/** A provider that answers "<id> says hi" and whose listing can be made to fail. */
function fake(id: string, models: ChatModelInfo[], opts: { listed?: boolean; defaultModel?: string } = {}) {
  const state = { calls: 0, fail: false, asked: [] as (string | undefined)[] };
  const provider: ChatProvider = {
    id,
    label: id.toUpperCase(),
    defaultModel: opts.defaultModel ?? models[0]?.id ?? "",
    models: opts.listed ? [] : models,
    ...(opts.listed
      ? {
        listModels: () => {
          state.calls++;
          return state.fail ? Promise.reject(new ChatError("upstream_unavailable")) : Promise.resolve(models);
        },
      }
      : {}),
    async *stream(request: ChatRequest): AsyncGenerator<ChatChunk> {
      state.asked.push(request.model);
      yield { type: "text", text: `${id} says hi` };
    },
    health: () => Promise.resolve({ ok: true, latencyMs: 0 }),
  };
  return { provider, state };
}

const ask = (model?: string): ChatRequest => ({
  history: [{ role: "user", content: "hi" }],
  model,
  signal: new AbortController().signal,
});

Deno.test("registry: lists every provider's models in order, tagged with their provider", async () => {
  const a = fake("gemini", [{ id: "g-1", label: "G 1", accepts: ["image", "pdf"] }]);
  const b = fake("ollama", [{ id: "ollama:llama3", label: "llama3 · Ollama" }], { listed: true });
  const c = fake("local", [{ id: "local-tiny", label: "Tiny" }, {
    id: "local:poems",
    label: "Tiny + poems",
  }]);
  const r = new ProviderRegistry([a.provider, b.provider, c.provider]);
  assert.deepEqual((await r.listModels()).map((m) => [m.id, m.provider]), [
    ["g-1", "gemini"],
    ["ollama:llama3", "ollama"],
    ["local-tiny", "local"],
    ["local:poems", "local"],
  ]);
  assert.equal((await r.defaultModelInfo())?.id, "g-1");
});

Deno.test("registry: routes each model id to the provider that lists it; unlisted ids are refused", async () => {
  const a = fake("gemini", [{ id: "g-1", label: "G 1" }]);
  const b = fake("ollama", [{ id: "ollama:llama3", label: "llama3" }], { listed: true });
  const r = new ProviderRegistry([a.provider, b.provider]);
  assert.equal((await collectReply(r.stream(ask("ollama:llama3")))).text, "ollama says hi");
  assert.equal((await collectReply(r.stream(ask()))).text, "gemini says hi");
  assert.deepEqual(a.state.asked, ["g-1"]);
  assert.deepEqual(b.state.asked, ["ollama:llama3"]);
  await assert.rejects(r.resolve("ollama:not-there"), UnknownModelError);
  await assert.rejects(
    collectReply(r.stream(ask("gpt-4o"))),
    (e: unknown) =>
      e instanceof ChatError && e.code === "bad_request" && /not one of the models/.test(e.message),
  );
});

Deno.test("registry: a listing is cached for the TTL; a failure only briefly and offers nothing meanwhile", async () => {
  let now = 0;
  const b = fake("ollama", [{ id: "ollama:llama3", label: "llama3" }], { listed: true });
  const r = new ProviderRegistry([b.provider], { ttlMs: 300_000, failureTtlMs: 15_000, now: () => now });
  await Promise.all([r.listModels(), r.listModels()]);
  assert.equal(b.state.calls, 1, "concurrent callers share one request");
  now = 299_999;
  await r.listModels();
  assert.equal(b.state.calls, 1);
  now = 300_000;
  b.state.fail = true;
  assert.deepEqual(await r.listModels(), []);
  assert.equal(b.state.calls, 2);
  assert.equal(await r.defaultModelInfo(), null);
  now = 314_999;
  await r.listModels();
  assert.equal(b.state.calls, 2, "the failure is remembered for 15 s");
  b.state.fail = false;
  now = 315_000;
  assert.equal((await r.listModels()).length, 1);
  assert.equal(b.state.calls, 3);
});

Deno.test("registry: the default is the first provider with a model; duplicate provider ids are refused", async () => {
  const down = fake("ollama", [], { listed: true });
  const local = fake("local", [{ id: "local-tiny", label: "Tiny" }]);
  const r = new ProviderRegistry([down.provider, local.provider]);
  assert.equal((await r.defaultModelInfo())?.id, "local-tiny");
  assert.throws(() => new ProviderRegistry([local.provider, local.provider]), /share the id/);
  assert.throws(() => new ProviderRegistry([]), /at least one/);
});

Deno.test("registry: the combined list is the same array while no provider's list changed, a new one when one did", async () => {
  let now = 0;
  const a = fake("gemini", [{ id: "g-1", label: "G 1" }]);
  const b = fake("ollama", [{ id: "ollama:llama3", label: "llama3" }], { listed: true });
  const r = new ProviderRegistry([a.provider, b.provider], { ttlMs: 1000, now: () => now });
  const first = await r.listModels();
  assert.equal(await r.listModels(), first);
  assert.equal(b.state.calls, 1);
  b.state.fail = true;
  now = 2000; // the listing expires and fails: its models leave the combined list
  const second = await r.listModels();
  assert.equal(b.state.calls, 2);
  assert.notEqual(second, first);
  assert.deepEqual(second.map((m) => m.id), ["g-1"]);
  assert.equal(await r.listModels(), second);
});
