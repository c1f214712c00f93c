/**
 * Pure derivation of postgres.js options from a `DATABASE_URL`: TLS from `sslmode`, `prepare: false`
 * for pooled endpoints (Neon `-pooler` hosts, `pgbouncer=true`) because PgBouncer in transaction mode
 * cannot keep named prepared statements, and pool size/timeouts. Parameters that only steer the
 * client are removed from the URL so postgres.js does not send them to the server as settings.
 */

/** TLS setting in postgres.js terms. */
export type SslSetting = false | "allow" | "prefer" | "require" | "verify-full";

/** Pool and timeout settings shared by both engines. */
export interface PoolSettings {
  /** Maximum connections in the pool (default 10). */
  poolMax?: number;
  /** Seconds to wait for a connection before failing with `database_unavailable` (default 5). */
  connectTimeoutSeconds?: number;
  /** Seconds an idle connection is kept open (default 30; 0 keeps it forever). */
  idleTimeoutSeconds?: number;
}

/** What {@link deriveConnectionOptions} returns. */
export interface ConnectionOptions {
  /** The URL with client-only query parameters removed. Contains the password: never log it. */
  url: string;
  /** Host name, for display (no credentials). */
  host: string;
  prepare: boolean;
  ssl: SslSetting;
  max: number;
  connect_timeout: number;
  idle_timeout: number;
  /** True when the endpoint was recognised as a transaction pooler. */
  pooled: boolean;
}

const CLIENT_ONLY_PARAMS = ["sslmode", "pgbouncer", "channel_binding", "connect_timeout", "sslrootcert"];

/** Derives postgres.js options from a connection URL; throws `TypeError` on a malformed URL. */
export function deriveConnectionOptions(databaseUrl: string, pool: PoolSettings = {}): ConnectionOptions {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new TypeError("DATABASE_URL is not a valid URL");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new TypeError(`DATABASE_URL must start with postgres:// or postgresql:// (got ${url.protocol}//)`);
  }
  const params = url.searchParams;
  const host = url.hostname;
  const pooled = /-pooler(\.|$)/i.test(host) || params.get("pgbouncer")?.toLowerCase() === "true";
  const ssl = sslFrom(params.get("sslmode"), params.get("sslrootcert"), host);
  const urlTimeout = Number(params.get("connect_timeout"));
  for (const name of CLIENT_ONLY_PARAMS) params.delete(name);

  return {
    url: url.toString(),
    host,
    prepare: !pooled,
    ssl,
    max: positiveInt(pool.poolMax, 10, "poolMax"),
    connect_timeout: positiveInt(
      pool.connectTimeoutSeconds,
      urlTimeout > 0 ? urlTimeout : 5,
      "connectTimeoutSeconds",
    ),
    idle_timeout: nonNegativeInt(pool.idleTimeoutSeconds, 30, "idleTimeoutSeconds"),
    pooled,
  };
}

function sslFrom(sslmode: string | null, sslrootcert: string | null, host: string): SslSetting {
  if (sslrootcert === "system") return "verify-full";
  switch (sslmode?.toLowerCase()) {
    case "disable":
      return false;
    case "allow":
      return "allow";
    case "prefer":
      return "prefer";
    case "require":
      return "require";
    case "verify-ca":
    case "verify-full":
      return "verify-full";
    case undefined:
      // Neon only accepts TLS; elsewhere the libpq default would be "prefer", but plain TCP is
      // what local servers and CI clusters speak, so be explicit and only force TLS for Neon.
      return /\.neon\.tech$/i.test(host) ? "require" : false;
    default:
      throw new TypeError(`unknown sslmode "${sslmode}" in DATABASE_URL`);
  }
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

function nonNegativeInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer`);
  return value;
}
