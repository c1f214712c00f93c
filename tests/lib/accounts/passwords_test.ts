import assert from "node:assert/strict";
import { argon2id } from "hash-wasm";
import { DEFAULT_PARAMS, dummyHash, hashPassword, verifyPassword } from "../../../lib/accounts/passwords.ts";

Deno.test("argon2id hashes in PHC format with a fresh salt, verifying only the right password", async () => {
  const a = await hashPassword("correct horse battery");
  const b = await hashPassword("correct horse battery");
  assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(a, b, "salts differ");
  assert.equal(await verifyPassword("correct horse battery", a), true);
  assert.equal(await verifyPassword("correct horse batterY", a), false);
  assert.equal(await verifyPassword("", a), false);
  assert.equal(await verifyPassword("correct horse battery", null), false);
  assert.equal(await verifyPassword("correct horse battery", "$2b$10$bcrypt-looking"), false);
  assert.equal(DEFAULT_PARAMS.memoryKiB, 19_456);
});

Deno.test("the stored hash is the reference argon2id of the password and salt (RFC 9106 via hash-wasm)", async () => {
  const stored = await hashPassword("pässwörd 🔑", { memoryKiB: 1024, iterations: 3, parallelism: 2 });
  const [, , , params, salt64, hash64] = stored.split("$");
  assert.equal(params, "m=1024,t=3,p=2");
  const salt = Uint8Array.from(atob(salt64 + "=="), (c) => c.charCodeAt(0));
  const expected = await argon2id({
    password: "pässwörd 🔑",
    salt,
    memorySize: 1024,
    iterations: 3,
    parallelism: 2,
    hashLength: 32,
    outputType: "encoded",
  });
  assert.equal(stored, expected);
  assert.ok(hash64.length === 43);
  assert.equal(await verifyPassword("pässwörd 🔑", stored), true, "parameters are read from the hash");
});

Deno.test("the dummy hash used for unknown usernames is a real default-cost hash, made once", async () => {
  const d = await dummyHash();
  assert.match(d, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await dummyHash(), d);
});
