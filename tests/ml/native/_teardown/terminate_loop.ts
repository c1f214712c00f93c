/**
 * Child process of teardown_test.ts: `rounds` times, starts 4 Workers that compute with OpenBLAS and
 * terminates them mid-computation; then exits 0. Before OpenBLAS was pinned (ml/native/pin.ts) this
 * died with SIGSEGV / "double free or corruption" or hung in most runs.
 */
const rounds = Number(Deno.args[0] ?? 10);
const url = new URL("./blas_worker.ts", import.meta.url);
let pinned = true;
for (let i = 0; i < rounds; i++) {
  const workers = Array.from({ length: 4 }, () => new Worker(url, { type: "module" }));
  const ready = workers.map((w) =>
    new Promise<void>((resolve, reject) => {
      w.onmessage = (e: MessageEvent<{ pinned: boolean }>) => {
        pinned &&= e.data.pinned;
        resolve();
      };
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
    })
  );
  await Promise.all(ready);
  await new Promise((r) => setTimeout(r, 1 + (i * 7) % 20));
  for (const w of workers) w.terminate();
}
console.log(JSON.stringify({ rounds, pinned }));
