/** Small guards added by the hardening work: NUL detection, data-exception mapping, the method guard. */
import assert from "node:assert/strict";
import { mapError } from "../../lib/server.ts";
import { containsNul } from "../../lib/web/body.ts";

Deno.test("containsNul finds U+0000 in strings and keys at any depth without recursion", () => {
  assert.equal(containsNul({ a: ["x", { b: "ok" }] }), false);
  assert.equal(containsNul({ a: ["x", { b: "o\u0000k" }] }), true);
  assert.equal(containsNul({ ["k\u0000"]: 1 }), true);
  let deep: unknown = "\u0000";
  for (let i = 0; i < 200_000; i++) deep = [deep];
  assert.equal(containsNul(deep), true);
});

Deno.test("PostgreSQL data exceptions (SQLSTATE 22xxx) map to 400, other database errors to 503, the rest are left alone", () => {
  const pgError = (code: string) => Object.assign(new Error("x"), { name: "PostgresError", code });
  assert.equal(mapError(pgError("22021"))?.status, 400);
  assert.equal(mapError(pgError("22P02"))?.code, "invalid_input");
  // Every other database failure is a 503 with Retry-After, never a 500.
  for (const code of ["23505", "53300", "42P01", "XX000"]) {
    const mapped = mapError(pgError(code));
    assert.equal(mapped?.status, 503, code);
    assert.equal(mapped?.headers["retry-after"], "5");
  }
  assert.equal(mapError(new Error("boom")), null);
});
