/** The bench's reading of `wrk --latency` output (bench/_lib/load.ts), on real wrk 4.1.0 output, and its CPU pinning. */
import assert from "node:assert/strict";
import { cpuPinning, findOnPath, parseWrk, table, wrkMs } from "../../bench/_lib/load.ts";

const OUTPUT = `Running 5s test @ http://127.0.0.1:8411/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.35ms    3.66ms  48.60ms   86.72%
    Req/Sec     8.25k     1.04k    9.60k    88.75%
  Latency Distribution
     50%  217.00us
     75%    5.81ms
     90%   10.94ms
     99%    1.21s
  65768 requests in 8.01s, 343.34MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:   8208.85
Transfer/sec:     42.86MB
`;

Deno.test("wrk durations in us, ms, s and m become milliseconds", () => {
  assert.equal(wrkMs("217.00us"), 0.217);
  assert.equal(wrkMs("5.81ms"), 5.81);
  assert.equal(wrkMs("1.21s"), 1210);
  assert.equal(wrkMs("2m"), 120_000);
  assert.throws(() => wrkMs("fast"), /unreadable wrk duration/);
});

Deno.test("wrk --latency output gives requests, duration, percentiles and errors", () => {
  assert.deepEqual(parseWrk(OUTPUT), { requests: 65768, seconds: 8.01, errors: 12, p50: 0.217, p99: 1210 });
  const clean = OUTPUT.replace(/ {2}Socket errors.*\n/, "").replace(/ {2}Non-2xx.*\n/, "");
  assert.equal(parseWrk(clean).errors, 0);
  assert.throws(() => parseWrk("wrk: connection refused"), /unreadable wrk output/);
});

Deno.test("bench tables refuse a row whose cells do not match the header", () => {
  assert.equal(table(["a", "b"], [[1, 2.5]]), "| a | b |\n| --- | --- |\n| 1 | 2.50 |");
  assert.throws(() => table(["a", "b"], [[1, 2, 3]]), /a row has 3 cells for 2 columns/);
});

Deno.test("CPU pinning puts every thread of a server on CPU 0 and the load command on CPU 1", async () => {
  const pinning = cpuPinning();
  const taskset = findOnPath("taskset");
  if (navigator.hardwareConcurrency < 2 || !taskset) {
    assert.equal(pinning, null, "no pinning without taskset or a second CPU");
    return;
  }
  assert.ok(pinning);
  assert.deepEqual(pinning.loader(["wrk", "-t1", "http://x/"]), [
    taskset,
    "-c",
    "1",
    "wrk",
    "-t1",
    "http://x/",
  ]);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "console.log('up'); await new Promise((r) => setTimeout(r, 30_000))"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    await child.stdout.getReader().read(); // started: its runtime threads exist
    await pinning.pinServer(child.pid);
    const threads = [...Deno.readDirSync(`/proc/${child.pid}/task`)].map((t) => t.name);
    assert.ok(threads.length > 1, "deno runs several threads");
    for (const tid of threads) {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/task/${tid}/status`);
      assert.equal(/Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1], "0", `thread ${tid}`);
    }
  } finally {
    child.kill();
    await child.status;
  }
});
