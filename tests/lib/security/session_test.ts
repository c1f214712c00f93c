import assert from "node:assert/strict";
import {
  loadSessionSecrets,
  readCookie,
  sessionCookie,
  SessionSigner,
} from "../../../lib/security/session.ts";

const A = "a".repeat(32);
const B = "b".repeat(32);

Deno.test("a signed id verifies; a tampered id or signature does not", async () => {
  const signer = await SessionSigner.create([A]);
  const id = SessionSigner.newId();
  const signed = await signer.sign(id);
  assert.deepEqual(await signer.verify(signed), { id, stale: false });
  const [, sig] = signed.split(".");
  assert.equal(await signer.verify(`${SessionSigner.newId()}.${sig}`), null);
  assert.equal(await signer.verify(`${id}.${sig.slice(0, -2)}AA`), null);
  assert.equal(await signer.verify("garbage"), null);
  assert.equal(await signer.verify(""), null);
});

Deno.test("verified cookies are remembered: same answers, only valid values cached, bounded at 10,000", async () => {
  const signer = await SessionSigner.create([B, A]);
  const old = await SessionSigner.create([A]);
  const id = SessionSigner.newId();
  const fresh = await signer.sign(id), stale = await old.sign(id);
  for (let round = 0; round < 2; round++) {
    assert.deepEqual(await signer.verify(fresh), { id, stale: false }, `round ${round}`);
    assert.deepEqual(await signer.verify(stale), { id, stale: true }, `round ${round}`);
    assert.equal(await signer.verify(`${id}.${fresh.split(".")[1].slice(0, -2)}AA`), null);
  }
  assert.equal(signer.cachedCount, 2, "tampered values are not cached");
  assert.deepEqual(signer.known(fresh), { id, stale: false }, "known answers a remembered value at once");
  assert.deepEqual(signer.known(stale), { id, stale: true });
  assert.equal(
    signer.known(`${id}.${fresh.split(".")[1].slice(0, -2)}AA`),
    undefined,
    "never a tampered one",
  );
  assert.equal(signer.known(await signer.sign(SessionSigner.newId())), undefined, "nor one not verified yet");
  const result = await signer.verify(fresh);
  assert.throws(() => (result as { id: string }).id = "mutated", TypeError, "callers cannot change it");
  assert.deepEqual(await signer.verify(fresh), { id, stale: false });
  for (let i = 0; i < 10_050; i++) await signer.verify(await signer.sign(SessionSigner.newId()));
  assert.equal(signer.cachedCount, 10_000);
});

Deno.test("rotation: cookies signed with the old secret still verify and are marked stale", async () => {
  const old = await SessionSigner.create([A]);
  const rotated = await SessionSigner.create([B, A]);
  const id = SessionSigner.newId();
  assert.deepEqual(await rotated.verify(await old.sign(id)), { id, stale: true });
  assert.deepEqual(await rotated.verify(await rotated.sign(id)), { id, stale: false });
  assert.equal(await (await SessionSigner.create([B])).verify(await old.sign(id)), null);
});

Deno.test("cookie attributes: HttpOnly, SameSite=Lax, Secure only over HTTPS", () => {
  assert.equal(sessionCookie("v", false), "mc_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000");
  assert.match(sessionCookie("v", true), /; Secure$/);
  assert.equal(readCookie("a=1; mc_session=xyz.sig; b=2", "mc_session"), "xyz.sig");
  assert.equal(readCookie(null, "mc_session"), null);
});

Deno.test("an unset secret is generated once, kept with mode 0600, and reused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const [first] = await loadSessionSecrets(undefined, dir);
    assert.ok(first.length >= 32);
    assert.deepEqual(await loadSessionSecrets(undefined, dir), [first]);
    assert.equal((await Deno.stat(`${dir}/session_secret`)).mode! & 0o777, 0o600);
    assert.deepEqual(await loadSessionSecrets([A], dir), [A]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
