import assert from "node:assert/strict";
import { deriveConnectionOptions } from "../../lib/db/mod.ts";

Deno.test("Neon -pooler host gets prepare: false and TLS; client-only params are stripped", () => {
  const o = deriveConnectionOptions(
    "postgresql://app:pw@ep-cool-name-123456-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require",
  );
  assert.equal(o.prepare, false);
  assert.equal(o.pooled, true);
  assert.equal(o.ssl, "require");
  assert.equal(o.host, "ep-cool-name-123456-pooler.eu-central-1.aws.neon.tech");
  assert.equal(new URL(o.url).search, "");
  assert.equal(new URL(o.url).password, "pw");
});

Deno.test("direct Neon endpoint keeps prepared statements and still forces TLS without sslmode", () => {
  const o = deriveConnectionOptions(
    "postgres://app:pw@ep-cool-name-123456.eu-central-1.aws.neon.tech/neondb",
  );
  assert.equal(o.prepare, true);
  assert.equal(o.pooled, false);
  assert.equal(o.ssl, "require");
});

Deno.test("pgbouncer=true means prepare: false and is not sent to the server", () => {
  const o = deriveConnectionOptions("postgres://u@db.internal:6432/app?pgbouncer=true&application_name=mc");
  assert.equal(o.prepare, false);
  const params = new URL(o.url).searchParams;
  assert.equal(params.get("pgbouncer"), null);
  assert.equal(params.get("application_name"), "mc");
  assert.equal(deriveConnectionOptions("postgres://u@h/app?pgbouncer=false").prepare, true);
});

Deno.test("sslmode maps to postgres.js ssl settings; local URLs default to plain TCP", () => {
  const ssl = (q: string) => deriveConnectionOptions(`postgres://u@localhost/db${q}`).ssl;
  assert.equal(ssl(""), false);
  assert.equal(ssl("?sslmode=disable"), false);
  assert.equal(ssl("?sslmode=prefer"), "prefer");
  assert.equal(ssl("?sslmode=require"), "require");
  assert.equal(ssl("?sslmode=verify-full"), "verify-full");
  assert.equal(ssl("?sslmode=verify-ca"), "verify-full");
  assert.equal(ssl("?sslrootcert=system"), "verify-full");
  assert.throws(() => ssl("?sslmode=sometimes"), TypeError);
});

Deno.test("pool size and timeouts: defaults, overrides, URL connect_timeout, validation", () => {
  const d = deriveConnectionOptions("postgres://u@localhost/db");
  assert.deepEqual([d.max, d.connect_timeout, d.idle_timeout], [10, 5, 30]);
  const o = deriveConnectionOptions("postgres://u@localhost/db?connect_timeout=9", {
    poolMax: 3,
    idleTimeoutSeconds: 0,
  });
  assert.deepEqual([o.max, o.connect_timeout, o.idle_timeout], [3, 9, 0]);
  assert.equal(deriveConnectionOptions("postgres://u@h/db", { connectTimeoutSeconds: 2 }).connect_timeout, 2);
  assert.throws(() => deriveConnectionOptions("postgres://u@h/db", { poolMax: 0 }), TypeError);
  assert.throws(() => deriveConnectionOptions("mysql://u@h/db"), TypeError);
  assert.throws(() => deriveConnectionOptions("not a url"), /not a valid URL/);
});
