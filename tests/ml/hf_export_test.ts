import assert from "node:assert/strict";
import { initBackend, tf } from "../../ml/backend.ts";
import {
  bytesToUnicode,
  exportGpt2,
  exportGpt2Adapter,
  gpt2TokenizerFiles,
  HF_FILES,
} from "../../ml/hf_export.ts";
import { LoraModel } from "../../ml/lora.ts";
import { Gpt } from "../../ml/model.ts";
import { decodeSafetensors, toFloat32 } from "../../ml/safetensors.ts";
import { Tokenizer } from "../../ml/tokenizer.ts";
import { loadCheckpoint, saveCheckpoint } from "../../ml/checkpoint.ts";
import { parseExportArgs, runExport } from "../../tasks/export_hf.ts";
import { requireSuite } from "../_helpers/suites.ts";

await initBackend();

const CORPUS = await Deno.readTextFile(new URL("../fixtures/training/corpus.txt", import.meta.url));
const SCRIPT = new URL("./python/gpt2_reference.py", import.meta.url).pathname;
const TEXT = "Call me Ishmael. Some years ago—never mind how long precisely—having 3 coins, I'd sail_away!";

/**
 * A Python interpreter with torch: `python3` on PATH or Debian's `/usr/bin/python3` (where
 * `apt-get install python3-torch` puts it, even when PATH leads to another Python). Null when none.
 */
async function pythonWithTorch(): Promise<string | null> {
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-c", "import torch"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (out.success) return python;
    } catch {
      // not installed
    }
  }
  return null;
}
const python = await pythonWithTorch();
const withTorch = requireSuite(
  "GPT-2 export against PyTorch",
  python === null ? "no python3 with torch (Debian: apt-get install python3-torch)" : null,
);

function tinyModel(bias = true): { model: Gpt; tok: Tokenizer } {
  const tok = Tokenizer.train(CORPUS, { vocabSize: 320 });
  const model = new Gpt(
    { vocabSize: tok.vocabSize, blockSize: 128, layers: 2, heads: 2, dModel: 16, bias },
    11,
  );
  return { model, tok };
}

async function logitsOf(model: Gpt, ids: number[]): Promise<Float32Array> {
  const out = tf.tidy(() => model.forward(tf.tensor2d([ids], [1, ids.length], "int32")));
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

Deno.test("GPT-2 export: config, GPT-2 tensor names and shapes, c_attn packs q | k | v, tokenizer files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hf-export-" });
  try {
    const { model, tok } = tinyModel();
    await exportGpt2(model, tok, dir);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/${HF_FILES.config}`));
    assert.deepEqual(
      [
        config.model_type,
        config.n_embd,
        config.n_layer,
        config.n_head,
        config.n_positions,
        config.vocab_size,
      ],
      ["gpt2", 16, 2, 2, 128, tok.vocabSize],
    );
    assert.equal(config.n_inner, 64);
    assert.equal(config.activation_function, "gelu_new");
    const tensors = decodeSafetensors(await Deno.readFile(`${dir}/${HF_FILES.weights}`)).tensors;
    assert.equal(tensors.size, 2 + 2 * 12 + 2);
    assert.deepEqual(tensors.get("transformer.h.1.attn.c_attn.weight")!.shape, [16, 48]);
    assert.deepEqual(tensors.get("transformer.h.1.mlp.c_proj.weight")!.shape, [64, 16]);
    assert.ok(!tensors.has("lm_head.weight"), "the head is tied to wte");
    // Row r of c_attn is row r of Wq, then of Wk, then of Wv (Conv1D [in, out]).
    const cAttn = toFloat32(tensors.get("transformer.h.0.attn.c_attn.weight")!);
    const params = new Map(model.namedParameters());
    for (const [j, n] of ["q", "k", "v"].entries()) {
      const w = (await params.get(`blocks.0.attn.${n}.weight`)!.data()) as Float32Array;
      for (let r = 0; r < 16; r++) {
        assert.deepEqual(
          cAttn.subarray(r * 48 + j * 16, r * 48 + (j + 1) * 16),
          w.subarray(r * 16, (r + 1) * 16),
        );
      }
    }
    const vocab = JSON.parse(await Deno.readTextFile(`${dir}/${HF_FILES.vocab}`));
    assert.equal(Object.keys(vocab).length, tok.vocabSize);
    assert.equal(vocab["<|endoftext|>"], tok.eosId);
    assert.equal(vocab["Ġ"], 32); // GPT-2 spells the space byte "Ġ"
    const merges = (await Deno.readTextFile(`${dir}/${HF_FILES.merges}`)).trimEnd().split("\n");
    assert.equal(merges[0], "#version: 0.2");
    assert.equal(merges.length - 1, tok.merges.length);
    assert.equal(bytesToUnicode().length, 256);
    assert.equal(new Set(bytesToUnicode()).size, 256);
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("GPT-2 export: two ids with the same bytes cannot go into vocab.json and are refused", () => {
  // Merges (a,b)->256, (256,c)->257 and (b,c)->258, (a,258)->259: ids 257 and 259 both spell "abc".
  const tok = new Tokenizer([[97, 98], [256, 99], [98, 99], [97, 258]]);
  assert.throws(() => gpt2TokenizerFiles(tok), /tokens 257 and 259 spell the same bytes "abc"/);
});

Deno.test({
  name: "GPT-2 export loads in PyTorch and reproduces the ids and logits (base, merged, base + PEFT adapter)",
  ignore: !withTorch, // needs python3-torch
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "hf-export-py-" });
    try {
      const { model, tok } = tinyModel(false); // no biases: the export writes GPT-2's as zeros
      const ids = tok.encode(TEXT);
      const base = await logitsOf(model, ids);
      await exportGpt2(model, tok, `${dir}/base`);
      const lora = LoraModel.apply(model, {
        rank: 2,
        alpha: 4,
        targetModules: ["q", "v", "o", "fc"],
        rankPattern: { q: 3 },
      });
      for (const [, l] of lora.layers()) l.loraB.assign(tf.randomNormal(l.loraB.shape, 0, 0.3, "float32", 5));
      const adapted = await logitsOf(model, ids);
      await exportGpt2Adapter(lora, `${dir}/adapter`);
      const peft = JSON.parse(await Deno.readTextFile(`${dir}/adapter/adapter_config.json`));
      assert.equal(peft.fan_in_fan_out, true);
      assert.equal(peft.rank_pattern["transformer.h.0.attn.c_attn"], 5); // r_q 3 + r_v 2
      await exportGpt2(lora.mergeAndUnload(), tok, `${dir}/merged`);
      model.dispose();
      const cases = [["base", base, undefined], ["merged", adapted, undefined], [
        "base",
        adapted,
        `${dir}/adapter`,
      ]] as const;
      for (const [name, want, adapter] of cases) {
        const child = new Deno.Command(python!, {
          args: [SCRIPT, `${dir}/${name}`],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const w = child.stdin.getWriter();
        await w.write(new TextEncoder().encode(JSON.stringify({ text: TEXT, adapter })));
        await w.close();
        const out = await child.output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        const result = JSON.parse(new TextDecoder().decode(out.stdout));
        assert.deepEqual(result.ids, ids, `${name}: Python's GPT-2 BPE gives the same ids`);
        const got = (result.logits as number[][]).flat();
        assert.equal(got.length, want.length);
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        assert.ok(
          worst < 1e-5,
          `${name} ${adapter ?? ""}: max |logit difference| ${worst} (loader: ${result.loader})`,
        );
      }
      assert.notDeepEqual(adapted, base);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task export-hf: a LoRA run gives base/, adapter/ and merged/, arguments are checked", async () => {
  assert.deepEqual(parseExportArgs(["--run", "r", "--out=o"]), { run: "r", out: "o" });
  assert.equal(parseExportArgs(["-h"]), "help");
  assert.throws(() => parseExportArgs(["--run", "r", "--checkpoint", "c", "--out", "o"]), /exactly one of/);
  assert.throws(() => parseExportArgs(["--run", "r"]), /--out <dir> is required/);
  assert.throws(() => parseExportArgs(["--model", "m"]), /unknown argument --model/);
  const dir = await Deno.makeTempDir({ prefix: "export-run-" });
  try {
    const { model, tok } = tinyModel();
    await saveCheckpoint(`${dir}/base`, model, tok);
    const lora = LoraModel.apply(model, { rank: 2, alpha: 4, targetModules: ["q", "v"] });
    for (const [, l] of lora.layers()) l.loraB.assign(tf.randomNormal(l.loraB.shape, 0, 0.3, "float32", 8));
    await lora.save(`${dir}/run/adapter`);
    await Deno.writeTextFile(`${dir}/run/config.json`, JSON.stringify({ mode: "lora", base: `${dir}/base` }));
    const merged = lora.mergeAndUnload();
    assert.deepEqual(await runExport({ run: `${dir}/run`, out: `${dir}/hf` }), [
      `${dir}/hf/base`,
      `${dir}/hf/adapter`,
      `${dir}/hf/merged`,
    ]);
    const read = async (sub: string) =>
      toFloat32(
        decodeSafetensors(await Deno.readFile(`${dir}/hf/${sub}/${HF_FILES.weights}`)).tensors.get(
          "transformer.h.0.attn.c_proj.weight",
        )!,
      );
    // o is not adapted: equal in both; c_attn (q, v adapted) differs and equals the merged model's.
    assert.deepEqual(await read("base"), await read("merged"));
    const cAttn = async (sub: string) =>
      toFloat32(
        decodeSafetensors(await Deno.readFile(`${dir}/hf/${sub}/${HF_FILES.weights}`)).tensors.get(
          "transformer.h.0.attn.c_attn.weight",
        )!,
      );
    assert.notDeepEqual(await cAttn("base"), await cAttn("merged"));
    const q = (await new Map(merged.namedParameters()).get("blocks.0.attn.q.weight")!.data()) as Float32Array;
    assert.deepEqual((await cAttn("merged")).subarray(0, 16), q.subarray(0, 16));
    await assert.rejects(() => runExport({ run: `${dir}/run`, out: `${dir}/hf` }), /already exists/);
    merged.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the committed local model exported by deno task export-hf gives PyTorch the same logits",
  ignore: !withTorch, // needs python3-torch
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "export-local-" });
    try {
      const root = new URL("../../", import.meta.url).pathname;
      const task = await new Deno.Command(Deno.execPath(), {
        args: ["task", "--quiet", "export-hf", "--checkpoint", "models/local", "--out", `${dir}/hf`],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(task.code, 0, new TextDecoder().decode(task.stderr));
      const { model, tokenizer } = await loadCheckpoint(`${root}models/local`);
      const text = '### Instruction:\nDefine the word "harbor".\n\n### Response:\n';
      const ids = tokenizer.encode(text);
      const want = await logitsOf(model, ids);
      model.dispose();
      const child = new Deno.Command(python!, {
        args: [SCRIPT, `${dir}/hf`],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(JSON.stringify({ text })));
      await w.close();
      const out = await child.output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const result = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.deepEqual(result.ids, ids);
      const got = (result.logits as number[][]).flat();
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      assert.ok(worst < 5e-5, `max |logit difference| ${worst}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
