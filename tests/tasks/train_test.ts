import assert from "node:assert/strict";
import { initBackend } from "../../ml/backend.ts";
import { loadCheckpoint } from "../../ml/checkpoint.ts";
import { decodeSafetensors } from "../../ml/safetensors.ts";
import { trainOptionNames } from "../../ml/train_config.ts";

await initBackend();

const ROOT = new URL("../../", import.meta.url).pathname;
const FIXTURES = `${ROOT}tests/fixtures/training`;

async function train(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "train", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test({
  name: "deno task train: pretrain then LoRA on fixtures, end to end, with a run folder each",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "train-task-" });
    try {
      const pre = await train([
        "--mode=pretrain",
        `--data.train=${FIXTURES}/corpus.txt`,
        `--out=${dir}/base`,
        "--tokenizer.vocabSize=320",
        "--model.blockSize=256",
        "--seqLen=64",
        "--model.layers=1",
        "--model.dModel=32",
        "--model.heads=2",
        "--steps=12",
        "--batchSize=4",
        "--evalEvery=6",
        "--lr=3e-3",
        "--warmupSteps=2",
        "--dtype=F16",
      ]);
      assert.equal(pre.code, 0, pre.stderr);
      assert.match(pre.stderr, /step 12\/12 \[#+\] loss \d+\.\d+ val \d+\.\d+ \| [\d,]+ tok\/s \| ETA 0m00s/);
      for (
        const f of [
          "config.json",
          "metrics.jsonl",
          "loss.svg",
          "model/model.safetensors",
          "model/tokenizer.json",
          "checkpoint/state.json",
        ]
      ) {
        await Deno.stat(`${dir}/base/${f}`);
      }
      const metrics = (await Deno.readTextFile(`${dir}/base/metrics.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.equal(metrics.filter((m) => m.type === "train").length, 12);
      assert.deepEqual(metrics.filter((m) => m.type === "val").map((m) => m.step), [6, 12]);
      const weights = decodeSafetensors(await Deno.readFile(`${dir}/base/model/model.safetensors`));
      assert.equal(weights.tensors.get("wte")!.dtype, "F16");

      const lora = await train([
        "--mode",
        "lora",
        "--base",
        `${dir}/base/model`,
        "--data.train",
        `${FIXTURES}/alpaca.jsonl`,
        "--data.valFraction",
        "0.2",
        "--out",
        `${dir}/lora`,
        "--steps",
        "6",
        "--batchSize",
        "2",
        "--gradAccum",
        "2",
        "--evalEvery",
        "3",
        "--lora.r",
        "4",
        "--lora.targetModules",
        "q,v,fc",
        "--saveMerged",
      ]);
      assert.equal(lora.code, 0, lora.stderr);
      const adapterConfig = JSON.parse(await Deno.readTextFile(`${dir}/lora/adapter/adapter_config.json`));
      assert.equal(adapterConfig.peft_type, "LORA");
      assert.equal(adapterConfig.r, 4);
      const adapter = decodeSafetensors(await Deno.readFile(`${dir}/lora/adapter/adapter_model.safetensors`));
      assert.deepEqual(adapter.tensors.get("base_model.model.blocks.0.attn.q.lora_A.weight")!.shape, [4, 32]);
      assert.deepEqual(adapter.tensors.get("base_model.model.blocks.0.mlp.fc.lora_B.weight")!.shape, [
        128,
        4,
      ]);
      // Chat-format data (ShareGPT) trains through the same task, with the ChatML template.
      const chat = await train([
        "--mode=lora",
        `--base=${dir}/base/model`,
        `--data.train=${FIXTURES}/chat.sharegpt.jsonl`,
        "--data.valFraction=0.25",
        `--out=${dir}/chat`,
        "--steps=3",
        "--batchSize=2",
        "--evalEvery=3",
      ]);
      assert.equal(chat.code, 0, chat.stderr);
      const chatMetrics = (await Deno.readTextFile(`${dir}/chat/metrics.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.deepEqual(chatMetrics.filter((m) => m.type === "val").map((m) => m.step), [3]);
      assert.ok(chatMetrics.every((m) => Number.isFinite(m.loss)));
      await Deno.stat(`${dir}/chat/adapter/adapter_model.safetensors`);

      const merged = await loadCheckpoint(`${dir}/lora/merged`);
      assert.equal(merged.model.config.dModel, 32);
      merged.model.dispose();

      // An existing run is neither overwritten nor touched without --overwrite.
      const modelBytes = await Deno.readFile(`${dir}/base/model/model.safetensors`);
      const again = await train([
        "--mode=pretrain",
        `--data.train=${FIXTURES}/corpus.txt`,
        `--out=${dir}/base`,
        "--steps=1",
      ]);
      assert.equal(again.code, 2, again.stderr);
      assert.match(
        again.stderr,
        /already holds a run: add --resume to continue it or --overwrite to replace it/,
      );
      assert.deepEqual(await Deno.readFile(`${dir}/base/model/model.safetensors`), modelBytes);
      const replaced = await train([
        "--mode=pretrain",
        `--data.train=${FIXTURES}/corpus.txt`,
        `--out=${dir}/base`,
        "--overwrite",
        "--tokenizer.vocabSize=260",
        "--model.blockSize=32",
        "--model.layers=1",
        "--model.dModel=16",
        "--model.heads=2",
        "--steps=2",
        "--batchSize=2",
      ]);
      assert.equal(replaced.code, 0, replaced.stderr);
      const newMetrics = (await Deno.readTextFile(`${dir}/base/metrics.jsonl`)).trim().split("\n");
      assert.equal(newMetrics.map((l) => JSON.parse(l)).filter((m) => m.type === "train").length, 2);
      // A folder that is not a run is never deleted, even with --overwrite.
      await Deno.mkdir(`${dir}/precious`);
      await Deno.writeTextFile(`${dir}/precious/notes.txt`, "keep me");
      const refused = await train([
        "--mode=pretrain",
        `--data.train=${FIXTURES}/corpus.txt`,
        `--out=${dir}/precious`,
        "--overwrite",
      ]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /not a training run/);
      assert.equal(await Deno.readTextFile(`${dir}/precious/notes.txt`), "keep me");

      const bad = await train(["--mode", "lora", "--data.train", "x", "--steps", "-1"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /invalid training options:\n {2}--steps: expected an integer ≥ 1 \(got -1\)/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task train --help lists every option with what it does and its default", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "train", "--help"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0);
  const help = new TextDecoder().decode(out.stdout);
  const names = trainOptionNames();
  assert.ok(names.length >= 40 && names.includes("overwrite") && names.includes("lora.targetModules"));
  for (const name of names) {
    const line = help.split("\n").find((l) => l.trimStart().startsWith(`--${name} `));
    assert.ok(line, `--${name} is missing from --help`);
    assert.match(line, /\S \((default [^)]+|default: unset|required)\)$/, line);
  }
  assert.match(help, /--steps +optimizer updates \(default 200\)/);
  assert.match(help, /--lora\.targetModules .*\(default q,v\)/);
});
