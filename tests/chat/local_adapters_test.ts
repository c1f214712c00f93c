import assert from "node:assert/strict";
import { initBackend, tf } from "../../ml/backend.ts";
import { loadCheckpoint, saveCheckpoint } from "../../ml/checkpoint.ts";
import { generateTokens } from "../../ml/generate.ts";
import { LoraAdapters, MultiLoraLinear } from "../../ml/lora/adapters.ts";
import { LoraModel } from "../../ml/lora.ts";
import { Gpt } from "../../ml/model.ts";
import { normalArray, Rng } from "../../ml/random.ts";
import { Tokenizer } from "../../ml/tokenizer.ts";
import { ChatError } from "../../lib/chat/errors.ts";
import { createLocalProvider, LOCAL_MODEL_ID } from "../../lib/chat/local.ts";
import { findLocalAdapters } from "../../lib/chat/local_adapters.ts";
import { baseLoadCount, generateReply, LocalModelHost } from "../../lib/chat/local_host.ts";
import { localPrompt, StopSequence } from "../../lib/chat/local_prompt.ts";
import { collectReply } from "../_helpers/collect_reply.ts";
import { ApiClient } from "../_helpers/api_client.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { readSse, tokenText } from "../_helpers/sse.ts";

await initBackend();

const GREEDY = { maxNewTokens: 12, temperature: 0, topK: 0, topP: 1, seed: 0 };

/** A base checkpoint (byte tokenizer) and LoRA adapters with non-zero B, so each changes the replies. */
async function saveBase(dir: string, dModel: number): Promise<void> {
  const model = new Gpt({ vocabSize: 257, blockSize: 256, layers: 1, heads: 2, dModel }, 3);
  await saveCheckpoint(dir, model, Tokenizer.bytes(), "F32");
  model.dispose();
}

async function saveAdapter(baseDir: string, dir: string, seed: number, targets: string[]): Promise<void> {
  const { model } = await loadCheckpoint(baseDir, { adapter: false });
  const adapters = new LoraAdapters(model);
  adapters.addAdapter("x", { rank: 4, alpha: 8, targetModules: targets, baseModelNameOrPath: baseDir }, {
    seed,
  });
  const rng = new Rng(seed);
  for (const [, layer] of model.namedLinears()) {
    if (!(layer instanceof MultiLoraLinear)) continue;
    const b = layer.weights("x")!.b;
    tf.tidy(() => b.assign(tf.tensor2d(normalArray(b.size, 0, 0.8, rng), [b.shape[0], b.shape[1]])));
  }
  await adapters.saveAdapter("x", dir);
  adapters.unload();
  model.dispose();
}

interface Fixture {
  root: string;
  base: string;
  runs: string;
  extra: string;
}

async function fixture(): Promise<Fixture> {
  const root = await Deno.makeTempDir({ prefix: "local-adapters-" });
  const f = { root, base: `${root}/base`, runs: `${root}/runs`, extra: `${root}/adapters` };
  await saveBase(f.base, 16);
  await saveBase(`${root}/other-base`, 24);
  // Run "chat": trained on ShareGPT data (ChatML); run "alpaca": on Alpaca records.
  await Deno.writeTextFile(
    `${root}/chat.jsonl`,
    JSON.stringify({ conversations: [{ from: "human", value: "a" }, { from: "gpt", value: "b" }] }) + "\n",
  );
  await Deno.writeTextFile(
    `${root}/alpaca.json`,
    JSON.stringify([{ instruction: "a", input: "", output: "b" }]),
  );
  for (
    const [name, data, seed, targets] of [["chat", "chat.jsonl", 11, ["q", "v"]], [
      "alpaca",
      "alpaca.json",
      22,
      ["q", "k", "v"],
    ]] as const
  ) {
    await Deno.mkdir(`${f.runs}/${name}`, { recursive: true });
    await Deno.writeTextFile(
      `${f.runs}/${name}/config.json`,
      JSON.stringify({ mode: "lora", base: f.base, data: { train: `${root}/${data}` }, lora: { r: 4 } }),
    );
    await saveAdapter(f.base, `${f.runs}/${name}/adapter`, seed, [...targets]);
  }
  // A run over another base, an ADAPTERS_DIR adapter with a label, one trained on another base, one with a bad chat.json.
  await Deno.mkdir(`${f.runs}/elsewhere`, { recursive: true });
  await Deno.writeTextFile(
    `${f.runs}/elsewhere/config.json`,
    JSON.stringify({ mode: "lora", base: `${root}/other-base`, data: { train: `${root}/alpaca.json` } }),
  );
  await saveAdapter(`${root}/other-base`, `${f.runs}/elsewhere/adapter`, 5, ["q"]);
  await saveAdapter(f.base, `${f.extra}/helper`, 33, ["q"]);
  await Deno.writeTextFile(
    `${f.extra}/helper/chat.json`,
    JSON.stringify({ label: "Helper", template: "chatml" }),
  );
  await saveAdapter(`${root}/other-base`, `${f.extra}/wide`, 44, ["q"]);
  await saveAdapter(f.base, `${f.extra}/badcfg`, 55, ["q"]);
  await Deno.writeTextFile(`${f.extra}/badcfg/chat.json`, JSON.stringify({ template: "llama" }));
  return f;
}

const f = await fixture();

Deno.test("adapters: runs and ADAPTERS_DIR are listed with their templates; other bases and bad configs are refused", async () => {
  const found = await findLocalAdapters({ modelDir: f.base, runsDir: f.runs, adaptersDir: f.extra });
  assert.deepEqual(
    found.adapters.map((a) => [a.id, a.template, a.source, a.label]),
    [
      ["local:alpaca", "alpaca", "run", "alpaca (LoRA r=4, Alpaca)"],
      ["local:chat", "chatml", "run", "chat (LoRA r=4, chat)"],
      ["local:helper", "chatml", "adapters_dir", "Helper"],
    ],
  );
  const reasons = Object.fromEntries(found.refused.map((r) => [r.dir.slice(f.root.length + 1), r.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), [
    "adapters/badcfg",
    "adapters/wide",
    "runs/elsewhere/adapter",
  ]);
  assert.match(reasons["runs/elsewhere/adapter"], /trained on base .*other-base.*not the local model/);
  assert.match(
    reasons["adapters/wide"],
    /is \[4,24\], the local model's "blocks\.0\.attn\.q" is 16→16 \(trained on another base\)/,
  );
  assert.match(reasons["adapters/badcfg"], /chat\.json: template: /);
  // No ADAPTERS_DIR, no runs folder: nothing.
  assert.deepEqual(await findLocalAdapters({ modelDir: f.base, runsDir: `${f.root}/none` }), {
    adapters: [],
    refused: [],
  });
});

/** Greedy token ids of a single-adapter model (a fresh base + LoraModel.load) for `prompt`. */
async function singleAdapterTokens(adapterDir: string | null, prompt: string): Promise<number[]> {
  const { model, tokenizer } = await loadCheckpoint(f.base, { adapter: false });
  const lora = adapterDir ? await LoraModel.load(model, adapterDir) : null;
  const ids = tokenizer.encode(prompt).slice(-(model.config.blockSize - 8));
  const out: number[] = [];
  for await (const id of generateTokens(model, ids, { ...GREEDY, eosId: tokenizer.eosId })) {
    out.push(id);
    if (id === tokenizer.eosId) break;
  }
  lora?.mergeAndUnload();
  model.dispose();
  return out;
}

Deno.test("adapters: one base, switched per request — A, B, A, base equal single-adapter models; base loaded once; no tensor leak", async () => {
  const found = await findLocalAdapters({ modelDir: f.base, runsDir: f.runs, adaptersDir: f.extra });
  const byName = Object.fromEntries(found.adapters.map((a) => [a.name, { name: a.name, dir: a.dir }]));
  const prompt = localPrompt("alpaca", [{ role: "user", content: "Name a color." }]).prompt;
  const expected = {
    chat: await singleAdapterTokens(byName.chat.dir, prompt),
    alpaca: await singleAdapterTokens(byName.alpaca.dir, prompt),
    base: await singleAdapterTokens(null, prompt),
  };
  assert.notDeepEqual(expected.chat, expected.alpaca, "the two adapters answer differently");
  assert.notDeepEqual(expected.chat, expected.base, "an adapter changes the base's answer");

  const loadsBefore = baseLoadCount();
  const host = await LocalModelHost.load(f.base);
  const q = host.model.namedParameters().find(([n]) => n === "blocks.0.attn.q.weight")![1];
  const qBefore = await q.data();
  const run = async (name: "chat" | "alpaca" | "base") => {
    const ids: number[] = [];
    const reply = generateReply(host, {
      ...GREEDY,
      adapter: name === "base" ? null : byName[name],
      prompt,
      onToken: (id) => ids.push(id),
    });
    while (!(await reply.next()).done) { /* drain */ }
    return ids;
  };
  const order = ["chat", "alpaca", "chat", "base", "alpaca"] as const;
  for (const name of order) assert.deepEqual(await run(name), expected[name], `reply of ${name}`);
  assert.equal(baseLoadCount() - loadsBefore, 1, "base weights loaded once");
  assert.equal(host.adapterLoads, 2, "each adapter read once");
  assert.deepEqual(await q.data(), qBefore, "base weights untouched");
  const tensors = tf.memory().numTensors;
  for (const name of order) await run(name);
  assert.equal(tf.memory().numTensors, tensors, "switching adapters leaks no tensors");
  host.dispose();
});

Deno.test("local prompt: ChatML with system prompt and history for chat adapters, Alpaca otherwise; stop sequence held back", () => {
  const history = [
    { role: "user" as const, content: "hi" },
    { role: "assistant" as const, content: "hello" },
    { role: "user" as const, content: "2+2?" },
  ];
  assert.deepEqual(localPrompt("chatml", history, "Be brief."), {
    prompt: "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n" +
      "<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n",
    stop: "<|im_end|>",
  });
  assert.equal(
    localPrompt("chatml", [...history, { role: "assistant", content: "fo" }]).prompt.endsWith(
      "<|im_start|>assistant\nfo",
    ),
    true,
  );
  const alpaca = localPrompt("alpaca", history, "ignored");
  assert.equal(alpaca.stop, undefined);
  assert.match(alpaca.prompt, /### Instruction:\n2\+2\?\n\n### Response:$/);
  const stop = new StopSequence("<|im_end|>");
  const pieces = ["4", "<", "|im", "_end", "|>", "more"].map((t) => stop.push(t));
  assert.deepEqual(pieces.map((p) => p.text).join(""), "4");
  assert.deepEqual(pieces.map((p) => p.stopped), [false, false, false, false, true, true]);
  const open = new StopSequence("<|im_end|>");
  assert.deepEqual([open.push("a<|"), open.push("x")], [{ text: "a", stopped: false }, {
    text: "<|x",
    stopped: false,
  }]);
  assert.equal(open.push("<|im").text + open.flush(), "<|im");
});

Deno.test({
  name:
    "local provider: adapters are models local:<name>; the Worker switches them per request (same tokens as in-process)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const stats: { model: string; adapterLoads: number; tokensPerSecond: number }[] = [];
    const provider = createLocalProvider({
      modelDir: f.base,
      runsDir: f.runs,
      adaptersDir: f.extra,
      discovered: await findLocalAdapters({ modelDir: f.base, runsDir: f.runs, adaptersDir: f.extra }),
      maxNewTokens: GREEDY.maxNewTokens,
      temperature: 0,
      onReply: (s) => stats.push(s),
      // One Worker: the adapter-load counts below are one Worker's. With a pool, which Worker takes the
      // second request depends on when the second one finished loading (this failed 1 run in 10).
      workers: 1,
    });
    try {
      assert.deepEqual(provider.models.map((m) => m.id), [
        LOCAL_MODEL_ID,
        "local:alpaca",
        "local:chat",
        "local:helper",
      ]);
      const history = [{ role: "user" as const, content: "Name a color." }];
      const ask = (model: string) =>
        collectReply(provider.stream({ history, model, signal: new AbortController().signal }));
      const a1 = await ask("local:alpaca");
      const c1 = await ask("local:chat");
      const a2 = await ask("local:alpaca");
      assert.equal(a2.text, a1.text, "A after B answers as A did");
      // The chat adapter was prompted with ChatML (byte tokenizer: one token per UTF-8 byte).
      assert.equal(
        c1.usage?.promptTokens,
        new TextEncoder().encode(localPrompt("chatml", history).prompt).length,
      );
      assert.equal(
        a1.usage?.promptTokens,
        new TextEncoder().encode(localPrompt("alpaca", history).prompt).length,
      );
      assert.deepEqual(stats.map((s) => [s.model, s.adapterLoads]), [["local:alpaca", 1], ["local:chat", 2], [
        "local:alpaca",
        2,
      ]]);
      assert.ok(stats.every((s) => s.tokensPerSecond > 0));
      await assert.rejects(ask("local:nope"), (e) => e instanceof ChatError && e.code === "bad_request");
      // The Worker's reply for A is the in-process host's reply for A.
      const host = await LocalModelHost.load(f.base);
      const found = await findLocalAdapters({ modelDir: f.base, runsDir: f.runs });
      const alpaca = found.adapters.find((a) => a.name === "alpaca")!;
      let text = "";
      for await (
        const t of generateReply(host, {
          ...GREEDY,
          adapter: alpaca,
          prompt: localPrompt("alpaca", history).prompt,
        })
      ) text += t;
      host.dispose();
      assert.equal(a1.text, text);
    } finally {
      await provider.close();
    }
  },
});

Deno.test({
  name:
    "local adapters through the app: GET /api/models lists them, the allowlist refuses the others, a reply uses one",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startTestServer({
      LOCAL_MODEL_DIR: f.base,
      RUNS_DIR: f.runs,
      ADAPTERS_DIR: f.extra,
      GEMINI_API_KEY: "",
    });
    try {
      const client = new ApiClient(server.url);
      const models = await client.json<{ models: { id: string; label: string; provider: string }[] }>(
        "/api/models",
      );
      assert.deepEqual(models.body.models.map((m) => [m.id, m.provider]), [
        [LOCAL_MODEL_ID, "local"],
        ["local:alpaca", "local"],
        ["local:chat", "local"],
        ["local:helper", "local"],
      ]);
      for (const model of ["local:wide", "local:elsewhere", "local:badcfg"]) {
        const bad = await client.json<{ error: { code: string } }>("/api/conversations", {
          method: "POST",
          json: { model },
        });
        assert.equal(bad.status, 400, model);
        assert.equal(bad.body.error.code, "unknown_model");
      }
      const { body } = await client.json<{ id: string }>("/api/conversations", {
        method: "POST",
        json: { model: "local:chat", systemPrompt: "Be brief." },
      });
      const res = await client.fetch(`/api/conversations/${body.id}/messages`, {
        method: "POST",
        json: { content: "Say hello." },
      });
      assert.equal(res.status, 200);
      const events = await readSse(res);
      assert.equal(events.at(-1)!.event, "done", events.map((e) => e.event).join(","));
      const conv = await client.json<{ messages: Array<{ role: string; content: string; status: string }> }>(
        `/api/conversations/${body.id}`,
      );
      assert.equal(conv.body.messages.at(-1)!.status, "complete");
      assert.equal(conv.body.messages.at(-1)!.content, tokenText(events));
    } finally {
      await server.close();
    }
  },
});
