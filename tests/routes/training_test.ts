import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app_server.ts";
import { chartSvg } from "../../ml/loss_chart.ts";

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
      assert.equal((html.match(/<polyline/g) ?? []).length, 2, "train and val lines");
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
