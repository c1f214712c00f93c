import assert from "node:assert/strict";
import { parseValidateArgs, runValidateData } from "../../../tasks/validate_data.ts";
import { writeSyntheticAlpaca } from "../../../ml/data/synthetic.ts";

const fixture = (name: string) => new URL(`../../fixtures/data/${name}`, import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runValidateData(args, { stdout: (s) => out += s, stderr: (s) => err += s });
  return { code, out, err };
}

Deno.test("exit 0 for a valid file, 1 with invalid records, 2 for usage errors", async () => {
  assert.equal((await run([fixture("bom_crlf.jsonl")])).code, 0);
  assert.equal((await run([fixture("defects.jsonl")])).code, 1);
  for (
    const args of [[], [fixture("nope.jsonl")], [fixture("not_json.txt")], [
      "--bogus",
      fixture("bom_crlf.jsonl"),
    ]]
  ) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err, /^validate-data: /);
    assert.equal(r.out, "");
  }
  assert.match((await run([fixture("not_json.txt")])).err, /is not JSON: it starts with "T"/);
  assert.match((await run(["--bogus"])).err, /unknown flag --bogus\nusage:/);
});

Deno.test("text report has the summary, error table, quality table and score", async () => {
  const { out } = await run([fixture("defects.jsonl")]);
  assert.match(
    out,
    /^# Validation report: .*defects\.jsonl\n\nINVALID: 22 records \(18 valid, 4 invalid\), JSON Lines/,
  );
  assert.match(out, /\| 16 +\| 17 +\| output +\| expected string, got number +\|/);
  assert.match(out, /\| nearDuplicateInstruction +\| 1 +\| 4\.5 +\| 8 +\|/);
  assert.match(out, /## Score: 51\.8 \/ 100/);
});

Deno.test("--format json prints the machine-readable report; flags parse in both spellings", async () => {
  const { out, code } = await run([fixture("defects.json"), "--format", "json", "--max-tokens=2000"]);
  assert.equal(code, 1);
  const report = JSON.parse(out);
  assert.equal(report.records.invalid, 4);
  assert.equal(report.quality.metrics.overTokenBudget.count, 0);
  assert.deepEqual(parseValidateArgs(["f.jsonl", "--out=c.jsonl", "--format=text"]), {
    file: "f.jsonl",
    format: "text",
    maxTokens: 512,
    out: "c.jsonl",
  });
  assert.throws(() => parseValidateArgs(["f", "--max-tokens", "0"]), /positive integer/);
  assert.throws(() => parseValidateArgs(["a", "b"]), /one file at a time/);
});

Deno.test("the deno task process exits with the code (subprocess)", async () => {
  const task = new URL("../../../tasks/validate_data.ts", import.meta.url).pathname;
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", task, fixture("truncated.jsonl"), "--format", "json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(child.code, 1);
  assert.equal(JSON.parse(new TextDecoder().decode(child.stdout)).file.truncated, true);
});

Deno.test("progress is reported on stderr for files over 5 MB, by 10% steps", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/big.jsonl`;
    await writeSyntheticAlpaca(path, { records: 8000, outputChars: 700, seed: 2 });
    let err = "";
    const code = await runValidateData([path, "--format", "json"], {
      stdout: () => {},
      stderr: (s) => err += s,
      progress: true,
    });
    assert.equal(code, 0);
    const lines = err.trimEnd().split("\n");
    assert.ok(lines.length >= 5 && lines.length <= 11, err);
    assert.match(lines[lines.length - 1], /^validate-data: read (\d+\.\d) \/ \1 MB \(100%\)$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
