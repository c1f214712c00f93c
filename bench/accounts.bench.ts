/**
 * What accounts cost: one argon2id hash and one verification (the work of every sign-in, and of a
 * sign-in for an unknown name), against the SHA-256 of a session token (the work of every signed-in
 * request); and `GET /api/conversations` with `AUTH_MODE=open` against a signed-in `AUTH_MODE=accounts`
 * browser (one session lookup per request), both apps in child processes, measured in this run.
 */
import { hashPassword, verifyPassword } from "../lib/accounts/passwords.ts";
import { hashToken, newToken } from "../lib/accounts/tokens.ts";
import { closedLoop, spawnApp, table } from "./_lib/load.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 4);

async function timeEach(n: number, fn: () => Promise<unknown>, warm = n > 1): Promise<number> {
  if (warm) await fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t0) / n;
}

const stored = await hashPassword("correct horse battery staple");
const token = newToken();
const hashMs = await timeEach(10, () => hashPassword("correct horse battery staple"));
// Known and unknown users alternate, so load from other processes hits both alike.
let verifyMs = 0, unknownMs = 0;
await verifyPassword("warm-up", null);
for (let i = 0; i < 20; i++) {
  verifyMs += await timeEach(1, () => verifyPassword("correct horse battery staple", stored)) / 20;
  unknownMs += await timeEach(1, () => verifyPassword("correct horse battery staple", null)) / 20;
}
const tokenMs = await timeEach(2000, () => hashToken(token));
console.log(table(["operation", "ms each"], [
  ["argon2id hash (m=19 MiB, t=2, p=1)", hashMs],
  ["argon2id verify, known user", verifyMs],
  ["argon2id verify, unknown user (dummy hash)", unknownMs],
  ["SHA-256 of a session token", tokenMs],
]));
console.log(`\nunknown-user / known-user verification time: ${(unknownMs / verifyMs).toFixed(2)}`);

const rows: (string | number)[][] = [];
const rps: Record<string, number> = {};
for (const mode of ["open", "accounts"] as const) {
  const app = await spawnApp({ AUTH_MODE: mode, LOG_LEVEL: "silent" });
  try {
    let cookie = "";
    const first = await fetch(app.url + (mode === "accounts" ? "/api/auth/register" : "/api/conversations"), {
      method: mode === "accounts" ? "POST" : "GET",
      headers: { "content-type": "application/json" },
      body: mode === "accounts"
        ? JSON.stringify({ username: "bench", password: "bench password" })
        : undefined,
    });
    await first.body?.cancel();
    cookie = first.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const get = () => fetch(app.url + "/api/conversations", { headers: { cookie } });
    await closedLoop(get, 4, 1); // warm-up
    for (const concurrency of [1, 10]) {
      const r = await closedLoop(get, concurrency, seconds);
      rps[`${mode}-${concurrency}`] = r.rps;
      rows.push([mode, concurrency, Math.round(r.rps), r.p50, r.p99, r.errors]);
    }
  } finally {
    await app.stop();
  }
}
console.log("\n" + table(["AUTH_MODE", "connections", "req/s", "p50 ms", "p99 ms", "errors"], rows));
for (const c of [1, 10]) {
  console.log(
    `accounts / open throughput at ${c} connection(s): ${
      (rps[`accounts-${c}`] / rps[`open-${c}`]).toFixed(2)
    }`,
  );
}
console.log(
  `\n${seconds} s per row; server and load generator share ${navigator.hardwareConcurrency} cores.`,
);
