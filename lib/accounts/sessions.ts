/**
 * Server-side sign-in sessions (`auth_sessions`). The browser's cookie holds a random token; the
 * table holds its SHA-256. A session lives `ttl` past its last use: each lookup more than a minute
 * after the previous one moves `last_seen_at` and `expires_at` forward. Revoking deletes the row.
 */
import type postgres from "postgres";
import { isUuid } from "../db/ids.ts";
import { iso, type Queryable } from "../db/sql.ts";
import { hashToken, isToken, newToken } from "./tokens.ts";
import type { User } from "./users.ts";

/** A session as the devices panel shows it. */
export interface AuthSession {
  id: string;
  userAgent: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** A looked-up session with its (enabled) user. */
export interface SignedIn {
  session: AuthSession;
  user: User;
  /** True when this lookup extended the expiry (the cookie should be re-sent with a new Max-Age). */
  renewed: boolean;
}

/** Seconds between two renewals of one session (fewer writes for busy clients). */
const RENEW_AFTER_S = 60;

/** Creates a session for `userId`; returns the token for the cookie (shown only now) and the row. */
export async function createSession(
  sql: Queryable,
  userId: string,
  userAgent: string,
  ttlSeconds: number,
): Promise<{ token: string; session: AuthSession }> {
  const token = newToken();
  const rows = await sql`
    insert into auth_sessions (user_id, token_hash, user_agent, expires_at)
    values (${userId}, ${await hashToken(token)}, ${userAgent.slice(0, 300)},
            now() + make_interval(secs => ${ttlSeconds}))
    returning *`;
  return { token, session: toSession(rows[0]) };
}

/**
 * The live session for `token` and its user, renewing the expiry when due; null for an unknown,
 * expired or malformed token, or a disabled user.
 */
export async function lookupSession(
  sql: Queryable,
  token: string,
  ttlSeconds: number,
): Promise<SignedIn | null> {
  if (!isToken(token)) return null;
  const hash = await hashToken(token);
  const rows = await sql`
    with found as (
      select s.id from auth_sessions s join users u on u.id = s.user_id
      where s.token_hash = ${hash} and s.expires_at > now() and u.disabled_at is null
    ), renewed as (
      update auth_sessions set last_seen_at = now(), expires_at = now() + make_interval(secs => ${ttlSeconds})
      where id in (select id from found) and last_seen_at < now() - make_interval(secs => ${RENEW_AFTER_S})
      returning id, last_seen_at, expires_at
    )
    select s.id, s.user_agent, s.created_at,
           coalesce(r.last_seen_at, s.last_seen_at) as last_seen_at,
           coalesce(r.expires_at, s.expires_at) as expires_at,
           r.id is not null as renewed,
           u.id as u_id, u.owner_id, u.username, u.is_admin, u.disabled_at, o.daily_token_limit,
           u.password_hash is not null as has_password, u.created_at as u_created_at
    from auth_sessions s join found f on f.id = s.id join users u on u.id = s.user_id
    join owners o on o.id = u.owner_id
    left join renewed r on r.id = s.id`;
  if (rows.length === 0) return null;
  const r = rows[0];
  return {
    session: toSession(r),
    renewed: r.renewed as boolean,
    user: {
      id: r.u_id as string,
      ownerId: r.owner_id as string,
      username: r.username as string,
      isAdmin: r.is_admin as boolean,
      disabled: false,
      dailyTokenLimit: r.daily_token_limit == null ? null : Number(r.daily_token_limit),
      hasPassword: r.has_password as boolean,
      createdAt: iso(r.u_created_at),
    },
  };
}

/** The user's live sessions, most recently used first. */
export async function listSessions(sql: Queryable, userId: string): Promise<AuthSession[]> {
  const rows = await sql`
    select * from auth_sessions where user_id = ${userId} and expires_at > now()
    order by last_seen_at desc, created_at desc`;
  return rows.map(toSession);
}

/** Revokes one of the user's sessions; false when it is not theirs (or unknown). */
export async function revokeSession(sql: Queryable, userId: string, sessionId: string): Promise<boolean> {
  if (!isUuid(sessionId)) return false;
  const rows =
    await sql`delete from auth_sessions where id = ${sessionId} and user_id = ${userId} returning id`;
  return rows.length > 0;
}

/** Revokes every session of the user ("sign out everywhere"); returns how many. */
export async function revokeAllSessions(sql: Queryable, userId: string): Promise<number> {
  const rows = await sql`delete from auth_sessions where user_id = ${userId} returning id`;
  return rows.length;
}

/** Revokes the session holding `token` (sign out); false when there was none. */
export async function revokeToken(sql: Queryable, token: string): Promise<boolean> {
  if (!isToken(token)) return false;
  const hash = await hashToken(token);
  const rows = await sql`delete from auth_sessions where token_hash = ${hash} returning id`;
  return rows.length > 0;
}

/** Deletes expired sessions; returns how many. */
export async function deleteExpiredSessions(sql: Queryable): Promise<number> {
  const rows = await sql`delete from auth_sessions where expires_at <= now() returning id`;
  return rows.length;
}

function toSession(row: postgres.Row): AuthSession {
  return {
    id: row.id as string,
    userAgent: row.user_agent as string,
    createdAt: iso(row.created_at),
    lastSeenAt: iso(row.last_seen_at),
    expiresAt: iso(row.expires_at),
  };
}
