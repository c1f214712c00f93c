import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app_server.ts";
import { chartSvg } from "../../ml/loss_chart.ts";
import { startGeminiStub } from "../stubs/gemini_server.ts";

Deno.test({
  name: "/training lists runs with their config and server-rendered train/val loss charts",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "runs-" });
    await Deno.mkdir(`${dir}/base-run/model`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/base-run/config.json`,
      JSON.stringify({ mode: "pretrain", steps: 3, lr: 0.003 }),
    );
    await Deno.writeTextFile(
      `${dir}/base-run/metrics.jsonl`,
      [
        { type: "train", step: 1, loss: 5.5 },
        { type: "train", step: 2, loss: 5.0 },
        { type: "val", step: 2, loss: 5.25 },
        { type: "train", step: 3, loss: 4.5 },
      ].map((m) => JSON.stringify(m)).join("\n") + "\n",
    );
    await Deno.writeTextFile(
      `${dir}/base-run/eval.json`,
      JSON.stringify({
        evaluations: [{
          data: "/data/corpus.val.txt",
          kind: "text",
          weights: "model",
          tokens: 1234,
          sequences: 10,
          loss: 2.5,
          perplexity: Math.exp(2.5),
          perToken: { mean: 2.5, p50: 2.25, p90: 4.5, p99: 6, max: 9.125 },
          seqLen: 128,
          at: "2026-12-03T06:00:00.000Z",
          elapsedMs: 5,
        }],
      }),
    );
    await Deno.mkdir(`${dir}/not-a-run`);
    const server = await startTestServer({ RUNS_DIR: dir });
    try {
      const res = await fetch(`${server.url}/training`);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /<h2>base-run<\/h2>/);
      assert.match(html, /pretrain · step 3\/3 · train loss 4\.5000 · val loss 5\.2500 · outputs: model/);
      // Train and val lines, in the wide and the narrow (phone) drawing of the chart.
      assert.equal((html.match(/<polyline/g) ?? []).length, 4, "train and val lines");
      assert.equal((html.match(/<svg class="loss-chart loss-chart-(wide|narrow)"/g) ?? []).length, 2);
      assert.match(html, /&quot;lr&quot;: 0\.003/);
      assert.match(
        html,
        /<td>corpus\.val\.txt \(text\)<\/td><td>1234<\/td><td>2\.5000<\/td><td>12\.182<\/td><td>2\.2500 \/ 4\.5000 \/ 9\.1250<\/td>/,
      );
      assert.ok(!html.includes("not-a-run"));
      assert.ok(!html.includes("<script"), "no JavaScript on this page");
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("loss chart SVG: one polyline per series, escaped title, points inside the plot", () => {
  const svg = chartSvg([
    { label: "train", color: "#00f", points: [[1, 3], [2, 2], [3, 1]] },
    { label: "val", color: "#f00", points: [[3, 1.5]] },
  ], "a <b> & c");
  assert.match(svg, /<title>a &#60;b&#62; &#38; c<\/title>/);
  const lines = [...svg.matchAll(/points="([^"]*)"/g)].map((m) => m[1]);
  assert.equal(lines.length, 2);
  for (const p of lines[0].split(" ").map((s) => s.split(",").map(Number))) {
    assert.ok(p[0] >= 52 && p[0] <= 624 && p[1] >= 16 && p[1] <= 284, `${p}`);
  }
});

const repoRoot = new URL("../../", import.meta.url).pathname;
const committedModel = `${repoRoot}models/local`;

/** The last `train` and `val` losses of a committed run, read from its metrics file. */
async function lastLosses(
  run: string,
): Promise<{ step: number; train: number; val: number; firstVal: number }> {
  const records = (await Deno.readTextFile(`${committedModel}/runs/${run}/metrics.jsonl`)).trim().split("\n")
    .map((l) => JSON.parse(l) as { type: string; step: number; loss: number });
  const train = records.filter((r) => r.type === "train");
  const val = records.filter((r) => r.type === "val");
  return {
    step: train.at(-1)!.step,
    train: train.at(-1)!.loss,
    val: val.at(-1)!.loss,
    firstVal: val[0].loss,
  };
}

Deno.test({
  name:
    "/training on a fresh clone (empty RUNS_DIR) shows the bundled model's committed runs with their numbers",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The records must reach a clone: not ignored by git (runs/ used to match models/local/runs/ too).
    const ignored = await new Deno.Command("git", {
      args: [
        "check-ignore",
        "-q",
        "models/local/runs/base/metrics.jsonl",
        "models/local/runs/lora/eval.json",
      ],
      cwd: repoRoot,
    }).output().catch(() => null);
    if (ignored && ignored.code !== 128) assert.equal(ignored.code, 1, "models/local/runs is ignored by git");

    const empty = await Deno.makeTempDir({ prefix: "runs-empty-" });
    // A Gemini stub answers chats, so the committed checkpoint is not loaded: this page only reads files.
    const stub = await startGeminiStub({ apiKey: "training-key" });
    const server = await startTestServer({
      RUNS_DIR: empty,
      LOCAL_MODEL_DIR: committedModel,
      GEMINI_API_KEY: stub.apiKey,
      GEMINI_BASE_URL: stub.url,
    });
    try {
      const html = await (await fetch(`${server.url}/training`)).text();
      assert.match(html, /No runs in <code>[^<]*runs-empty-[^<]*\/<\/code> yet/);
      assert.match(html, /<h2 id="bundled-runs-title"[^>]*>The bundled local model<\/h2>/);
      const base = await lastLosses("base");
      const lora = await lastLosses("lora");
      assert.equal(base.step, 300);
      assert.equal(lora.step, 300);
      // Real numbers: well below the uniform guess ln(1024) = 6.93, and validation loss fell in both runs.
      for (const run of [base, lora]) {
        assert.ok(run.val < 5 && run.train < 5 && run.val < run.firstVal, JSON.stringify(run));
      }
      const section = html.slice(html.indexOf('id="bundled-runs-title"'));
      for (const [name, mode, losses] of [["base", "pretrain", base], ["lora", "lora", lora]] as const) {
        assert.match(section, new RegExp(`<h3>${name} <span class="run-badge">bundled model</span></h3>`));
        assert.ok(
          section.includes(
            `${mode} · step 300/300 · train loss ${losses.train.toFixed(4)} · val loss ${
              losses.val.toFixed(4)
            }`,
          ),
          `${name} summary`,
        );
      }
      assert.equal(
        (section.match(/<polyline/g) ?? []).length,
        8,
        "train and val lines of both runs, 2 drawings",
      );
      // Each run's deno task eval results: perplexity on held-out data.
      assert.match(section, /<td>corpus\.val\.head\.txt \(text\)<\/td><td>\d+<\/td><td>\d\.\d{4}<\/td>/);
      assert.match(section, /<td>instructions\.val\.jsonl \(records\)<\/td><td>\d+<\/td><td>\d\.\d{4}<\/td>/);
      assert.ok(section.indexOf("<h3>base") < section.indexOf("<h3>lora"), "in training order");
    } finally {
      await server.close();
      await stub.close();
      await Deno.remove(empty, { recursive: true });
    }
  },
});

Deno.test({
  name: "/training with RUNS_DIR set to the bundled runs lists them once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const stub = await startGeminiStub({ apiKey: "training-key" });
    const server = await startTestServer({
      RUNS_DIR: `${committedModel}/runs`,
      LOCAL_MODEL_DIR: committedModel,
      GEMINI_API_KEY: stub.apiKey,
      GEMINI_BASE_URL: stub.url,
    });
    try {
      const html = await (await fetch(`${server.url}/training`)).text();
      assert.equal((html.match(/<h2>base<\/h2>/g) ?? []).length, 1);
      assert.ok(!html.includes("bundled-runs-title"));
    } finally {
      await server.close();
      await stub.close();
    }
  },
});
