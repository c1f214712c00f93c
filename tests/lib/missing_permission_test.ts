import assert from "node:assert/strict";
import { describeMissingPermission, missingPermission } from "../../lib/missing_permission.ts";

Deno.test("missingPermission reads Deno's message, along the cause chain and inside wrapped messages", () => {
  const write = new Deno.errors.NotCapable(
    'Requires write access to "/srv/data/pglite", run again with the --allow-write flag',
  );
  assert.deepEqual(missingPermission(write), {
    kind: "write",
    target: '"/srv/data/pglite"',
    flag: "--allow-write",
  });
  const tmp = new Deno.errors.NotCapable(
    "Requires write access to <TMP>, run again with the --allow-write flag",
  );
  assert.deepEqual(missingPermission(tmp), { kind: "write", target: "<TMP>", flag: "--allow-write" });
  const env = new Deno.errors.NotCapable("Requires env access, run again with the --allow-env flag");
  assert.deepEqual(missingPermission(env), { kind: "env", target: "", flag: "--allow-env" });
  assert.equal(missingPermission(new Error("opening the store failed", { cause: write }))?.kind, "write");
  const wrapped = new Error(
    'Aborted(NotCapable: Requires read access to "/x/a.wasm", run again with the --allow-read flag)',
  );
  assert.deepEqual(missingPermission(wrapped), { kind: "read", target: '"/x/a.wasm"', flag: "--allow-read" });
  assert.equal(missingPermission(new Error("ECONNREFUSED")), null);
  assert.equal(missingPermission(null), null);
  assert.equal(
    missingPermission('Requires net access to "a:1", run again with the --allow-net flag')?.kind,
    "net",
  );
});

Deno.test("describeMissingPermission: one line with the program, the access, the flag and the hint", () => {
  const e = new Deno.errors.NotCapable('Requires read access to "/d", run again with the --allow-read flag');
  assert.equal(
    describeMissingPermission(e, "train", "Use the task."),
    'train: missing permission: read access to "/d" (grant it with --allow-read). Use the task.',
  );
  assert.equal(
    describeMissingPermission(e, "x", ({ kind }) => `kind ${kind}.`),
    'x: missing permission: read access to "/d" (grant it with --allow-read). kind read.',
  );
  assert.equal(describeMissingPermission(new Error("other"), "x"), null);
});
