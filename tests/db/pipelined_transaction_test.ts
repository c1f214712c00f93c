/**
 * `Database.pipelinedTransaction` (lib/db/pipelined_transaction.ts) on both engines: `begin` goes
 * out with the first statements, every failure rolls back and gives the connection back (one
 * connection, so a later statement only runs if it was released), a statement started after the
 * end is refused unsent, a failed commit leaves nothing, an early commit (`end.commit()`) shares the
 * last write's flight and rejects when a statement before it failed, savepoints nest, and (PostgreSQL) a lost
 * connection is a `database_unavailable` error after which the pool works.
 */
import assert from "node:assert/strict";
import {
  type Database,
  openDatabase,
  TransactionEndedError,
  TransactionRolledBackError,
} from "../../lib/db/mod.ts";
import { inTransaction } from "../../lib/db/sql.ts";
import { FlightRecorder } from "../_helpers/flights.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { requireSuite } from "../_helpers/suites.ts";

const SETUP = `
  create table pipelined_probe (id integer primary key, v text not null);
  create function pipelined_probe_check() returns trigger language plpgsql as $$
  begin
    if new.v = 'refuse' then raise exception 'refused at commit'; end if;
    if new.v = 'die' then
      perform pg_terminate_backend(pg_backend_pid());
      perform pg_sleep(5);
    end if;
    return null;
  end $$;
  create constraint trigger pipelined_probe_check after insert on pipelined_probe
    deferrable initially deferred for each row execute function pipelined_probe_check();`;

async function rows(db: Database): Promise<string[]> {
  return (await db.sql`select v from pipelined_probe order by id`).map((r) => r.v as string);
}

async function suite(t: Deno.TestContext, db: Database, flights: FlightRecorder, server = false) {
  await db.sql.unsafe(SETUP);

  await t.step("begin goes out with the first statements; the commit stores them", async () => {
    // Warm up: a connection's first use of a statement with parameters waits for its description.
    for (const id of [1, 2]) {
      const before = flights.sent.length;
      const { value, committed } = await db.pipelinedTransaction(async (_store, tx) => {
        const [[locked], [inserted]] = await Promise.all([
          tx`select count(*)::int as n from pipelined_probe where id > ${0}`,
          tx`insert into pipelined_probe (id, v) values (${id}, ${"kept"}) returning id`,
        ]);
        return [locked.n, inserted.id];
      });
      await committed;
      assert.deepEqual(value, [id - 1, id]);
      if (id === 2) {
        assert.deepEqual(
          flights.since(before).map((s) => [s.statement.split(/\s/)[0], s.flight]),
          [["begin", 1], ["select", 1], ["insert", 1], ["commit", 2]],
        );
      }
    }
    assert.deepEqual(await rows(db), ["kept", "kept"]);
  });

  await t.step("a throw rolls back, releases the connection and passes the error on", async () => {
    const failure = new Error("plan refused");
    await assert.rejects(
      db.pipelinedTransaction(async (_store, tx) => {
        await tx`insert into pipelined_probe (id, v) values (${3}, ${"lost"})`;
        throw failure;
      }),
      (error) => error === failure,
    );
    // One connection (PGlite, or poolMax 1): this runs only if the transaction gave it back.
    assert.deepEqual(await rows(db), ["kept", "kept"]);
  });

  await t.step("a failing statement rolls back the statements pipelined with it", async () => {
    await assert.rejects(
      db.pipelinedTransaction((_store, tx) =>
        Promise.all([
          tx`insert into pipelined_probe (id, v) values (${4}, ${"lost"})`,
          tx`insert into pipelined_probe (id, v) values (${1}, ${"duplicate key"})`,
        ])
      ),
      (error: { code?: string }) => error.code === "23505",
    );
    assert.deepEqual(await rows(db), ["kept", "kept"]);
  });

  await t.step(
    "a server error of a connection class on a live connection still rolls back and releases",
    async () => {
      await assert.rejects(
        db.pipelinedTransaction(async (_store, tx) => {
          await tx`insert into pipelined_probe (id, v) values (${11}, ${"lost"})`;
          await tx.unsafe("do $$ begin raise exception 'too many' using errcode = '53300'; end $$");
        }),
        (error: { code?: string }) => error.code === "database_unavailable",
      );
      assert.deepEqual(await rows(db), ["kept", "kept"]);
    },
  );

  await t.step("a statement started after the transaction ended is refused, not sent", async () => {
    let late: (() => Promise<unknown>) | null = null;
    const { committed } = await db.pipelinedTransaction((_store, tx) => {
      late = () => tx`insert into pipelined_probe (id, v) values (${5}, ${"stray"})`.execute();
      return Promise.resolve();
    });
    await committed;
    const before = flights.sent.length;
    assert.throws(() => late!(), TransactionEndedError);
    assert.equal(flights.sent.length, before);
    assert.deepEqual(await rows(db), ["kept", "kept"]);
  });

  await t.step("a failed commit leaves nothing and the connection usable", async () => {
    const { committed } = await db.pipelinedTransaction(async (_store, tx) => {
      await tx`insert into pipelined_probe (id, v) values (${6}, ${"refuse"})`;
    });
    await assert.rejects(committed, /refused at commit/);
    assert.deepEqual(await rows(db), ["kept", "kept"]);
  });

  await t.step("an early commit goes out with the last write, unanswered, and stores it", async () => {
    // Twice: the second time every statement is prepared, so nothing waits for a description.
    for (const id of [21, 22]) {
      const before = flights.sent.length;
      const { value, committed } = await db.pipelinedTransaction(async (store, tx, end) => {
        const [[{ n }]] = await Promise.all([
          tx`select count(*)::int as n from pipelined_probe where id > ${0}`,
        ]);
        // A store method starts its statement when called: the commit follows it.
        const written = store.ownerDataVersion(`pipelined-${id}`);
        const inserted = tx`insert into pipelined_probe (id, v) values (${id}, ${"early"}) returning id`
          .execute();
        const commit = end.commit();
        await Promise.all([written, inserted, commit]);
        return n;
      });
      await committed;
      assert.equal(value, id === 21 ? 2 : 3);
      if (id === 22) {
        assert.deepEqual(
          flights.since(before).map((s) => [s.statement.split(/\s/)[0], s.flight]),
          [["begin", 1], ["select", 1], ["insert", 2], ["select", 2], ["commit", 2]],
        );
      }
    }
    assert.deepEqual(await rows(db), ["kept", "kept", "early", "early"]);
    await db.sql`delete from pipelined_probe where v = 'early'`;
  });

  await t.step("an early commit behind a failed statement rejects: the server rolled back", async () => {
    const { committed } = await db.pipelinedTransaction(async (_store, tx, end) => {
      const first = tx`insert into pipelined_probe (id, v) values (${23}, ${"lost"})`.execute();
      const failing = tx`insert into pipelined_probe (id, v) values (${1}, ${"duplicate key"})`.execute();
      const commit = end.commit();
      await assert.rejects(failing, (error: { code?: string }) => error.code === "23505");
      await first;
      // The statement is refused once the commit was sent.
      assert.throws(() => tx`select 1`, TransactionEndedError);
      await assert.rejects(end.commit(), TransactionEndedError);
      await assert.rejects(commit, TransactionRolledBackError);
    });
    await assert.rejects(committed, TransactionRolledBackError);
    // The connection was given back (one connection) and nothing of the transaction is stored.
    assert.deepEqual(await rows(db), ["kept", "kept"]);
  });

  await t.step("after an early commit a throw no longer rolls back what was written", async () => {
    const failure = new Error("too late to refuse");
    await assert.rejects(
      db.pipelinedTransaction(async (_store, tx, end) => {
        const inserted = tx`insert into pipelined_probe (id, v) values (${24}, ${"committed"})`.execute();
        const commit = end.commit();
        await Promise.all([inserted, commit]);
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.deepEqual(await rows(db), ["kept", "kept", "committed"]);
    await db.sql`delete from pipelined_probe where v = 'committed'`;
  });

  await t.step("savepoints nest: an inner failure keeps the outer work", async () => {
    const { committed } = await db.pipelinedTransaction(async (_store, tx) => {
      await tx`insert into pipelined_probe (id, v) values (${7}, ${"outer"})`;
      await assert.rejects(
        inTransaction(tx, async (inner) => {
          await inner`insert into pipelined_probe (id, v) values (${8}, ${"inner"})`;
          throw new Error("inner refused");
        }),
        /inner refused/,
      );
    });
    await committed;
    assert.deepEqual(await rows(db), ["kept", "kept", "outer"]);
  });

  // A backend that ends: only a server has one (PGlite's session lives in this process).
  if (!server) return;
  await t.step("a connection lost mid-way is database_unavailable; the pool works after", async () => {
    await assert.rejects(
      db.pipelinedTransaction(async (_store, tx) => {
        await tx`insert into pipelined_probe (id, v) values (${9}, ${"lost"})`;
        // The backend ends while answering this statement: the loss reaches it as a FATAL error. (Ended
        // from another connection between two statements instead, postgres.js may write the next one
        // to the closed socket in a later tick, which throws outside any promise: a known limit.)
        await tx`select pg_terminate_backend(pg_backend_pid())`;
      }),
      (error: { code?: string }) => error.code === "database_unavailable",
    );
    // postgres.js may hand the dead connection's last error to the next caller: wait until it reconnected.
    while (!(await db.ping()).ok) { /* the next ping reconnects */ }
    const { committed } = await db.pipelinedTransaction(async (_store, tx) => {
      await tx`insert into pipelined_probe (id, v) values (${10}, ${"die"})`;
    });
    await assert.rejects(committed, (error: { code?: string }) => error.code === "database_unavailable");
    while (!(await db.ping()).ok) { /* the next ping reconnects */ }
    assert.deepEqual(await rows(db), ["kept", "kept", "outer"]);
  });
}

Deno.test({
  name: "pipelined transaction on PGlite",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dataDir = await freshDataDir();
    const flights = new FlightRecorder();
    const db = await openDatabase({ dataDir, onQuery: flights.onQuery });
    try {
      await suite(t, db, flights);
    } finally {
      await db.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

const pg = requireSuite("pipelined-transaction-postgres", postgresMissing());
Deno.test({
  name: "pipelined transaction on PostgreSQL",
  ignore: !pg,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await startPostgresCluster();
    const dataDir = await Deno.makeTempDir({ prefix: "mc-pipelined-" });
    const flights = new FlightRecorder();
    // One connection, as on PGlite.
    const db = await openDatabase({
      dataDir,
      databaseUrl: cluster.url,
      poolMax: 1,
      onQuery: flights.onQuery,
    });
    try {
      await suite(t, db, flights, true);
    } finally {
      await db.close();
      await cluster.destroy();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
