/**
 * Batched owner data-version reads (lib/db/owner_versions.ts): concurrent reads share statements,
 * a read asked while another is in flight is sent after it (so it sees what committed in between),
 * failures reach every waiter, and on both real engines the versions match one-at-a-time reads.
 * With a feed (PGlite: migration 0013's notifications) versions are kept and answered without a
 * statement until the database says they changed, which it does before the changing commit returns.
 */
import assert from "node:assert/strict";
import { openDatabase } from "../../lib/db/mod.ts";
import { MAX_BATCH, OwnerVersions } from "../../lib/db/owner_versions.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { requireSuite } from "../_helpers/suites.ts";

/** A read function whose statements the test answers by hand. */
function manualReads() {
  const calls: { ids: string[]; answer(versions: Record<string, string>): void; fail(e: Error): void }[] = [];
  const read = (ids: string[]) =>
    new Promise<Map<string, string>>((resolve, reject) => {
      calls.push({ ids, answer: (v) => resolve(new Map(Object.entries(v))), fail: reject });
    });
  return { calls, read };
}

/** Lets queued promise callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("a lone read is sent at once; reads asked during it go out together after it", async () => {
  const { calls, read } = manualReads();
  const versions = new OwnerVersions(read);
  const first = versions.version("a");
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].ids, ["a"]);
  // Asked while the first statement is in flight: not part of it, whatever owner.
  const later = [versions.version("a"), versions.version("b"), versions.version("b"), versions.version("c")];
  await settle();
  assert.equal(calls.length, 1);
  calls[0].answer({ a: "1" });
  assert.equal(await first, "1");
  await settle();
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[1].ids, ["a", "b", "c"]);
  calls[1].answer({ a: "2", b: "7" });
  assert.deepEqual(await Promise.all(later), ["2", "7", "7", null]);
  assert.deepEqual(versions.stats, { statements: 2, reads: 5, kept: 0 });
});

Deno.test("a failed statement rejects each of its waiters; the next read goes out again", async () => {
  const { calls, read } = manualReads();
  const versions = new OwnerVersions(read);
  const first = versions.version("a");
  const batched = [versions.version("b"), versions.version("c")];
  calls[0].fail(new Error("database away"));
  await assert.rejects(first, /database away/);
  await settle();
  calls[1].fail(new Error("still away"));
  for (const p of batched) await assert.rejects(p, /still away/);
  const again = versions.version("a");
  await settle();
  calls[2].answer({ a: "5" });
  assert.equal(await again, "5");
});

Deno.test("a read function that throws at once fails its waiters and does not stall later reads", async () => {
  let fail = true;
  const versions = new OwnerVersions((ids) => {
    if (fail) throw new Error("bad");
    return Promise.resolve(new Map(ids.map((id) => [id, "9"])));
  });
  await assert.rejects(versions.version("a"), /bad/);
  fail = false;
  assert.equal(await versions.version("a"), "9");
});

Deno.test(`more than ${MAX_BATCH} owners waiting go out in statements of at most ${MAX_BATCH}`, async () => {
  const { calls, read } = manualReads();
  const versions = new OwnerVersions(read);
  const first = versions.version("first");
  const many = Array.from({ length: MAX_BATCH + 3 }, (_, i) => versions.version(`o${i}`));
  calls[0].answer({});
  assert.equal(await first, null);
  await settle();
  assert.equal(calls[1].ids.length, MAX_BATCH);
  calls[1].answer({ o0: "1" });
  await settle();
  assert.deepEqual(calls[2].ids, [`o${MAX_BATCH}`, `o${MAX_BATCH + 1}`, `o${MAX_BATCH + 2}`]);
  calls[2].answer({ [`o${MAX_BATCH + 2}`]: "3" });
  const got = await Promise.all(many);
  assert.equal(got[0], "1");
  assert.equal(got[MAX_BATCH + 2], "3");
  assert.equal(got.filter((v) => v === null).length, MAX_BATCH + 1);
});

/** Asks for `owner`, answers the statement that sends with `answer`, and returns the version read. */
async function readAnswered(
  versions: OwnerVersions,
  calls: ReturnType<typeof manualReads>["calls"],
  owner: string,
  answer: Record<string, string>,
): Promise<string | null> {
  const read = versions.version(owner);
  await settle();
  calls.at(-1)!.answer(answer);
  return await read;
}

/** A feed whose subscription the test confirms by hand. */
function manualFeed() {
  const listens: { confirm(): void; fail(e: Error): void }[] = [];
  const feed = {
    listen: () => new Promise<void>((resolve, reject) => listens.push({ confirm: resolve, fail: reject })),
  };
  return { listens, feed };
}

Deno.test("with a feed, versions read after it listens are kept until forgotten", async () => {
  const { calls, read } = manualReads();
  const { listens, feed } = manualFeed();
  const versions = new OwnerVersions(read, feed);
  // Read while the subscription is pending: answered, not kept.
  const early = versions.version("a");
  assert.equal(listens.length, 1);
  calls[0].answer({ a: "1" });
  assert.equal(await early, "1");
  listens[0].confirm();
  await settle();
  const first = versions.version("a");
  await settle();
  assert.equal(calls.length, 2, "read again: the first answer came before the subscription");
  calls[1].answer({ a: "2" });
  assert.equal(await first, "2");
  // Kept: no statement, for the owner and for an owner without a row (kept as null).
  assert.equal(await versions.version("a"), "2");
  assert.equal(await readAnswered(versions, calls, "nobody", {}), null);
  assert.equal(await versions.version("nobody"), null);
  assert.equal(calls.length, 3);
  // The database says "a" changed: read again; "nobody" is still kept.
  versions.forget("a");
  assert.equal(await readAnswered(versions, calls, "a", { a: "3" }), "3");
  assert.equal(await versions.version("a"), "3");
  assert.equal(await versions.version("nobody"), null);
  // '*' (a truncate): everyone.
  versions.forget("*");
  versions.version("nobody");
  await settle();
  assert.equal(calls.length, 5);
  assert.deepEqual(versions.stats, { statements: 5, reads: 9, kept: 4 });
  assert.equal(listens.length, 1);
});

Deno.test("an answer is not kept when any owner was forgotten while it was in flight", async () => {
  const { calls, read } = manualReads();
  const { listens, feed } = manualFeed();
  const versions = new OwnerVersions(read, feed);
  versions.version("warm-up");
  listens[0].confirm();
  calls[0].answer({});
  await settle();
  const pending = versions.version("a");
  // A commit that changed "b" answered before this read did: its version may be older than "a"'s...
  versions.forget("b");
  calls[1].answer({ a: "1" });
  assert.equal(await pending, "1");
  versions.version("a");
  await settle();
  assert.equal(calls.length, 3, "not kept: read again");
});

Deno.test("a restart (connection closed) keeps nothing until the feed listens again", async () => {
  const { calls, read } = manualReads();
  const { listens, feed } = manualFeed();
  const versions = new OwnerVersions(read, feed);
  versions.version("a");
  listens[0].confirm();
  calls[0].answer({ a: "1" });
  await settle();
  await readAnswered(versions, calls, "a", { a: "1" });
  assert.equal(await versions.version("a"), "1");
  assert.equal(calls.length, 2);
  versions.restart();
  // Forgotten, and the next read subscribes again; a confirmation from before the restart counts for nothing.
  const after = versions.version("a");
  assert.equal(listens.length, 2);
  await settle();
  calls[2].answer({ a: "1" });
  await after;
  versions.version("a");
  await settle();
  assert.equal(calls.length, 4, "not kept while the new subscription is pending");
  calls[3].answer({ a: "1" });
  listens[1].fail(new Error("connection lost"));
  await settle();
  versions.version("a");
  assert.equal(listens.length, 3, "a failed subscription is asked for again");
  listens[2].confirm();
  await settle();
  calls[4].answer({ a: "1" });
  await settle();
  await readAnswered(versions, calls, "a", { a: "1" });
  assert.equal(await versions.version("a"), "1");
  assert.equal(calls.length, 6);
});

Deno.test("at most maxKept versions are kept; the oldest kept goes first", async () => {
  const { calls, read } = manualReads();
  const { listens, feed } = manualFeed();
  const versions = new OwnerVersions(read, feed, 2);
  versions.version("warm-up");
  listens[0].confirm();
  calls[0].answer({});
  await settle();
  for (const [i, owner] of ["a", "b", "c"].entries()) {
    await readAnswered(versions, calls, owner, { [owner]: String(i) });
  }
  const statements = calls.length;
  assert.equal(await versions.version("b"), "1");
  assert.equal(await versions.version("c"), "2");
  assert.equal(calls.length, statements, "b and c are kept");
  versions.version("a");
  await settle();
  assert.equal(calls.length, statements + 1, "a was dropped");
});

Deno.test("without a feed (PostgreSQL) nothing is kept", async () => {
  const { calls, read } = manualReads();
  const versions = new OwnerVersions(read);
  for (let i = 0; i < 3; i++) await readAnswered(versions, calls, "a", { a: "1" });
  assert.equal(calls.length, 3);
});

async function onEngine(databaseUrl?: string) {
  const statements: string[] = [];
  const dataDir = databaseUrl ? await Deno.makeTempDir({ prefix: "mc-versions-" }) : await freshDataDir();
  const db = await openDatabase({ dataDir, databaseUrl, onQuery: (q) => statements.push(q.trim()) });
  try {
    const owners = [`v-${crypto.randomUUID()}`, `v-${crypto.randomUUID()}`, `v-${crypto.randomUUID()}`];
    for (const owner of owners) await db.createConversation(owner, { title: owner });
    const one: (string | null)[] = [];
    for (const owner of owners) one.push(await db.ownerDataVersion(owner));
    assert.ok(one.every((v) => v !== null && /^\d+$/.test(v)));
    assert.equal(new Set(one).size, 3);

    const before = statements.length;
    const asked = Array.from({ length: 60 }, (_, i) => owners[i % 3]);
    const got = await Promise.all([...asked, "nobody-has-this-id"].map((o) => db.ownerDataVersion(o)));
    assert.deepEqual(got, [...asked.map((o) => one[owners.indexOf(o)]), null]);
    const sent = statements.length - before;
    assert.ok(sent >= 1 && sent <= 2, `61 concurrent reads took ${sent} statements`);
    // PGlite keeps what it read (the owners' versions were read once more above): no statement now.
    const again = statements.length;
    const kept = await Promise.all(owners.map((o) => db.ownerDataVersion(o)));
    assert.deepEqual(kept, one);
    const reread = statements.length - again;
    if (db.engine === "pglite") assert.equal(reread, 0, "PGlite read kept versions again");
    else assert.ok(reread >= 1 && reread <= 2, `PostgreSQL: ${reread} statements for 3 concurrent reads`);

    // A write, then a read: the new version, never the kept one (on PGlite the database said so
    // before the write returned).
    await db.createConversation(owners[0], { title: "another" });
    const after = await db.ownerDataVersion(owners[0]);
    assert.ok(BigInt(after!) > BigInt(one[0]!));
    // ...also for a statement outside any transaction, and for the owner row itself going away.
    await db.sql`update conversations set title = 'plain' where owner_id = ${owners[0]}`;
    assert.ok(BigInt((await db.ownerDataVersion(owners[0]))!) > BigInt(after!));
    const gone = `v-${crypto.randomUUID()}`;
    await db.ensureOwner(gone);
    assert.notEqual(await db.ownerDataVersion(gone), null);
    await db.ownerDataVersion(gone);
    await db.sql`delete from owners where id = ${gone}`;
    assert.equal(await db.ownerDataVersion(gone), null);
    assert.equal(await db.ownerDataVersion(""), null);

    // Migration 0012: one bump per owner and transaction, however many rows it writes.
    const seq = async () =>
      BigInt((await db.sql`select last_value from owner_data_version_seq`)[0].last_value);
    const conv = await db.createConversation(owners[1], { title: "three rows" });
    const start = await seq();
    await db.transaction(async (_store, tx) => {
      await tx`insert into messages (id, conversation_id, role, content, seq)
        values (${crypto.randomUUID()}, ${conv.id}, 'user', 'a', 1), (${crypto.randomUUID()}, ${conv.id}, 'user', 'b', 2)`;
      await tx`update conversations set title = 'renamed' where id = ${conv.id}`;
    });
    assert.equal(await seq(), start + 1n, "three rows of one owner in one transaction: one new version");
    assert.equal(await db.ownerDataVersion(owners[1]), String(start + 1n));
    // A bump rolled back with its savepoint is not assumed: the next write bumps again.
    await db.transaction(async (_store, tx) => {
      await tx.savepoint(async (sp) => {
        await sp`update conversations set title = 'undone' where id = ${conv.id}`;
        throw new Error("roll back to the savepoint");
      }).catch(() => {});
      await tx`update conversations set title = 'kept' where id = ${conv.id}`;
    });
    assert.equal(await db.ownerDataVersion(owners[1]), String(start + 3n));
    // Two owners in one transaction: each gets its own new version.
    const v0 = await db.ownerDataVersion(owners[0]);
    await db.transaction(async (_store, tx) => {
      await tx`update conversations set title = 'x' where owner_id = ${owners[0]}`;
      await tx`update conversations set title = 'y' where owner_id = ${owners[1]}`;
      await tx`update conversations set title = 'z' where owner_id = ${owners[0]}`;
    });
    assert.ok(BigInt((await db.ownerDataVersion(owners[0]))!) > BigInt(v0!));
    assert.ok(BigInt((await db.ownerDataVersion(owners[1]))!) > start + 3n);

    // Migration 0014 (one function per kind of table): the same outcomes, table by table.
    /** How many versions `write` used, and the owners whose version it changed. */
    const bumps = async (write: () => Promise<unknown>) => {
      const versions = () => Promise.all(owners.map((o) => db.ownerDataVersion(o)));
      const [s0, v] = [await seq(), await versions()];
      await write();
      const after = await versions();
      return { used: Number((await seq()) - s0), changed: owners.filter((_, i) => after[i] !== v[i]) };
    };
    const fresh = await db.createConversation(owners[1], { title: "reply start" });
    assert.deepEqual(
      await bumps(() =>
        db.transaction((store) =>
          store.appendExchange(fresh.id, { id: crypto.randomUUID(), content: "hi", parentId: null }, {
            id: crypto.randomUUID(),
          })
        )
      ),
      { used: 1, changed: [owners[1]] },
      "a reply start (the conversation's row, then two messages in one statement): one new version",
    );
    assert.deepEqual(
      await bumps(() =>
        db.transaction(async (_store, tx) => {
          await tx`insert into messages (id, conversation_id, role, content, seq)
            values (${crypto.randomUUID()}, ${fresh.id}, 'user', 'c', 10)`;
          await tx`insert into messages (id, conversation_id, role, content, seq)
            values (${crypto.randomUUID()}, ${fresh.id}, 'user', 'd', 11)`;
        })
      ),
      { used: 1, changed: [owners[1]] },
      "two messages alone (the owner looked up through the conversation): one new version",
    );
    assert.deepEqual(
      await bumps(() =>
        db.sql`insert into attachments (owner_id, name, mime_type, size_bytes, data)
          values (${owners[2]}, 'a.png', 'image/png', 1, '\\x00')`
      ),
      { used: 1, changed: [owners[2]] },
      "an attachment",
    );
    assert.deepEqual(
      await bumps(() => db.sql`insert into folders (owner_id, name) values (${owners[0]}, 'f')`),
      { used: 1, changed: [owners[0]] },
      "a folder",
    );
    assert.deepEqual(
      await bumps(() => db.sql`update conversations set owner_id = ${owners[2]} where id = ${fresh.id}`),
      { used: 2, changed: [owners[1], owners[2]] },
      "a conversation moved to another owner (a claim): both owners",
    );
    assert.deepEqual(
      await bumps(() => db.deleteConversation(owners[2], fresh.id)),
      { used: 1, changed: [owners[2]] },
      "a conversation deleted with its four messages: one new version",
    );
  } finally {
    await db.close();
    if (databaseUrl) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

Deno.test("PGlite: concurrent version reads share statements and match single reads", () => onEngine());

const missing = postgresMissing();
requireSuite("PostgreSQL owner versions", missing);
Deno.test({
  name: "PostgreSQL: concurrent version reads share statements and match single reads",
  ignore: missing !== null,
  async fn() {
    const cluster = await startPostgresCluster();
    try {
      await onEngine(cluster.url);
    } finally {
      await cluster.stop();
    }
  },
});
