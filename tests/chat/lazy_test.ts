/** The lazily started provider: nothing starts until the first reply; health and close before and after. */
import assert from "node:assert/strict";
import { lazyProvider } from "../../lib/chat/lazy.ts";
import type { ChatChunk, ChatProvider } from "../../lib/chat/provider.ts";
import { collectReply } from "../_helpers/collect_reply.ts";

Deno.test("lazyProvider: starts on the first reply only, once; health does not start it; close reaches it", async () => {
  let starts = 0;
  let closed = 0;
  const inner: ChatProvider = {
    id: "local",
    label: "Tiny",
    defaultModel: "local-tiny",
    models: [{ id: "local-tiny", label: "Tiny" }],
    async *stream(): AsyncGenerator<ChatChunk> {
      yield { type: "text", text: "hi" };
    },
    health: () => Promise.resolve({ ok: true, latencyMs: 7 }),
    close: () => void closed++,
  };
  const lazy = lazyProvider(
    { id: "local", label: "Tiny", defaultModel: "local-tiny", models: inner.models },
    () => (starts++, inner),
  );
  assert.deepEqual(await lazy.health(), { ok: true, latencyMs: 0 });
  assert.equal(lazy.started, false);
  assert.equal(starts, 0);
  const ask = { history: [{ role: "user" as const, content: "x" }], signal: new AbortController().signal };
  assert.equal((await collectReply(lazy.stream(ask))).text, "hi");
  assert.equal((await collectReply(lazy.stream(ask))).text, "hi");
  assert.equal(starts, 1);
  assert.deepEqual(await lazy.health(), { ok: true, latencyMs: 7 });
  lazy.close?.();
  assert.equal(closed, 1);

  const never = lazyProvider({ id: "l", label: "L", defaultModel: "m", models: [] }, () => {
    throw new Error("must not start");
  });
  never.close?.();
  assert.deepEqual(await never.health(), { ok: false, latencyMs: 0, error: "shut down" });
});
