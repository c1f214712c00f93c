import assert from "node:assert/strict";
import { loraReport, parseReportArgs, ReportArgsError, USAGE } from "../../tasks/lora_report.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function task(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "lora-report", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("lora-report arguments: values in range are read, the rest is refused by name", () => {
  assert.deepEqual(parseReportArgs([]), {});
  assert.deepEqual(parseReportArgs(["--fraction", "0.02", "--budget-gib=3"]), {
    fraction: 0.02,
    budgetGib: 3,
  });
  assert.equal(parseReportArgs(["--fraction", "5", "--help"]), "help");
  const refused = (args: string[], message: RegExp) =>
    assert.throws(
      () => parseReportArgs(args),
      (e: unknown) => e instanceof ReportArgsError && message.test(e.message),
    );
  refused(["--fractoin", "0.1"], /unknown argument --fractoin/);
  refused(["0.1"], /unknown argument 0\.1/);
  refused(["--fraction"], /--fraction needs a value/);
  refused(["--fraction", "1"], /in \(0, 1\), not 1/);
  refused(["--fraction", "0"], /not 0/);
  refused(["--fraction", "abc"], /not abc/);
  refused(["--budget-gib", "-2"], /--budget-gib must be .* not -2/);
  refused(["--budget-gib", "Infinity"], /not Infinity/);
});

Deno.test("deno task lora-report: --help prints usage, bad flags exit 2, values reach the tables", async () => {
  const help = await task(["--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.stdout.trim(), USAGE);
  const bad = await task(["--budget", "2"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /^lora-report: unknown argument --budget\nusage: deno task lora-report/);
  const report = loraReport({ fraction: 0.02, budgetGib: 3 });
  assert.match(report, /\| model \| targets \| ≤ 2\.000% \|/);
  assert.match(report, /\| model \| targets \| 3 GiB \|/);
  assert.match(report, /\| GPT-2 small \| 12 \| 768 \| 3072 \| 50,257 \| 1024 \| 124,439,808 \|/);
});
