/**
 * The `users` table: local and OIDC accounts. Each user owns one `owners` row (`user:<uuid>`), so
 * conversations stay scoped by `owner_id` everywhere else. Deleting a user deletes that owner row,
 * which cascades to the user, their sessions and their conversations.
 */
import type postgres from "postgres";
import { isUuid } from "../db/ids.ts";
import { inTransaction, iso, type Queryable, type Transactional } from "../db/sql.ts";

/** An account as the server sees it (never includes the password hash). */
export interface User {
  id: string;
  /** The owner row holding this user's conversations. */
  ownerId: string;
  username: string;
  isAdmin: boolean;
  disabled: boolean;
  /** Reply tokens a day (`owners.daily_token_limit`); null = the server's `DAILY_TOKEN_BUDGET`. */
  dailyTokenLimit: number | null;
  /** "password" or "oidc" (an OIDC account may also have a password). */
  hasPassword: boolean;
  createdAt: string;
}

/**
 * Advisory lock key ("mcusers") serializing changes to the set of users and admins, so exactly one
 * first user becomes admin and the last admin cannot be removed by two concurrent requests.
 */
export const USERS_LOCK_KEY = 0x6d637573657273n;

/** What a new account is made of. */
export interface NewUser {
  username: string;
  passwordHash: string | null;
  oidc?: { issuer: string; subject: string };
}

/** The owner id of a user id. */
export function ownerIdOf(userId: string): string {
  return `user:${userId}`;
}

/** Hooks of {@link createUser}, run inside its transaction (throwing rolls everything back). */
export interface CreateUserHooks {
  /** Runs first, before the name is checked: may refuse (e.g. registration closed). */
  authorize?: (tx: postgres.TransactionSql, isFirst: boolean) => Promise<void>;
  /** Runs after the insert (e.g. to spend an invitation in the user's name). */
  afterInsert?: (tx: postgres.TransactionSql, user: User, isFirst: boolean) => Promise<void>;
}

/**
 * Creates a user and their owner row; the first user of the database becomes admin. Returns null
 * when the username (case-insensitive) or OIDC identity is taken. Creations are serialized by an
 * advisory lock, so two first registrations cannot both become admin.
 */
export async function createUser(
  sql: Transactional,
  input: NewUser,
  hooks: CreateUserHooks = {},
): Promise<User | null> {
  return await inTransaction(sql, async (tx) => {
    await tx`select pg_advisory_xact_lock(${USERS_LOCK_KEY.toString()}::bigint)`;
    const first = (await tx`select not exists (select 1 from users) as first`)[0].first as boolean;
    await hooks.authorize?.(tx, first);
    const taken = await tx`select 1 from users where lower(username) = lower(${input.username})`;
    if (taken.length > 0) return null;
    if (input.oidc && await findByOidc(tx, input.oidc.issuer, input.oidc.subject)) return null;
    const id = crypto.randomUUID();
    // Not anonymous: the expiry of abandoned browser owners (lib/db/owner_expiry.ts) must never reach it.
    await tx`insert into owners (id, anonymous) values (${ownerIdOf(id)}, false)`;
    const rows = await tx`
      insert into users (id, owner_id, username, password_hash, oidc_issuer, oidc_subject, is_admin)
      values (${id}, ${ownerIdOf(id)}, ${input.username}, ${input.passwordHash},
              ${input.oidc?.issuer ?? null}, ${input.oidc?.subject ?? null}, ${first})
      returning *`;
    const user = toUser(rows[0]);
    await hooks.afterInsert?.(tx, user, first);
    return user;
  });
}

/** The user with `username` (case-insensitive) and their password hash, or null. */
export async function findByUsername(
  sql: Queryable,
  username: string,
): Promise<{ user: User; passwordHash: string | null } | null> {
  const rows = await sql`select ${COLUMNS(sql)} from ${
    FROM(sql)
  } where lower(u.username) = lower(${username})`;
  return rows.length ? { user: toUser(rows[0]), passwordHash: rows[0].password_hash as string | null } : null;
}

/** The user signed in through `issuer` as `subject`, or null. */
export async function findByOidc(sql: Queryable, issuer: string, subject: string): Promise<User | null> {
  const rows = await sql`
    select ${COLUMNS(sql)} from ${FROM(sql)} where u.oidc_issuer = ${issuer} and u.oidc_subject = ${subject}`;
  return rows.length ? toUser(rows[0]) : null;
}

/** The user with `id`, or null (also for a malformed id). */
export async function getUser(sql: Queryable, id: string): Promise<User | null> {
  if (!isUuid(id)) return null;
  const rows = await sql`select ${COLUMNS(sql)} from ${FROM(sql)} where u.id = ${id}`;
  return rows.length ? toUser(rows[0]) : null;
}

/** The password hash of user `id` (null when none or unknown). */
export async function passwordHashOf(sql: Queryable, id: string): Promise<string | null> {
  if (!isUuid(id)) return null;
  const rows = await sql`select password_hash from users where id = ${id}`;
  return (rows[0]?.password_hash as string | null | undefined) ?? null;
}

/** Every user, oldest first. */
export async function listUsers(sql: Queryable): Promise<User[]> {
  const rows = await sql`select ${COLUMNS(sql)} from ${FROM(sql)} order by u.created_at, u.id`;
  return rows.map(toUser);
}

/** Sets a new password hash; returns whether the user exists. */
export async function setPasswordHash(sql: Queryable, id: string, hash: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const rows = await sql`
    update users set password_hash = ${hash}, password_changed_at = now() where id = ${id} returning id`;
  return rows.length > 0;
}

/** Changes of {@link updateUser}; absent fields stay. */
export interface UserPatch {
  disabled?: boolean;
  isAdmin?: boolean;
  /** null = the server's default. */
  dailyTokenLimit?: number | null;
}

/**
 * Applies `patch`; returns the updated user or null when unknown. The daily token limit is written
 * to the user's owner row (`owners.daily_token_limit`), where the budget code reads it.
 */
export async function updateUser(sql: Queryable, id: string, patch: UserPatch): Promise<User | null> {
  if (!isUuid(id)) return null;
  const rows = await sql`
    update users set
      disabled_at = case
        when ${patch.disabled === undefined}::boolean then disabled_at
        when ${patch.disabled === true}::boolean then coalesce(disabled_at, now())
        else null end,
      is_admin = coalesce(${patch.isAdmin ?? null}::boolean, is_admin)
    where id = ${id}
    returning owner_id`;
  if (rows.length === 0) return null;
  if (patch.dailyTokenLimit !== undefined) {
    await sql`update owners set daily_token_limit = ${patch.dailyTokenLimit} where id = ${rows[0].owner_id}`;
  }
  return await getUser(sql, id);
}

/** Deletes the user with all their data (owner row, conversations, sessions). */
export async function deleteUser(sql: Queryable, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const rows =
    await sql`delete from owners where id = (select owner_id from users where id = ${id}) returning id`;
  return rows.length > 0;
}

/** How many enabled admins there are (the last one may not be disabled, demoted or deleted). */
export async function countActiveAdmins(sql: Queryable): Promise<number> {
  const rows = await sql`select count(*)::int as n from users where is_admin and disabled_at is null`;
  return rows[0].n as number;
}

// Users with their owner row's daily token limit.
const COLUMNS = (sql: Queryable) => sql`u.*, o.daily_token_limit`;
const FROM = (sql: Queryable) => sql`users u join owners o on o.id = u.owner_id`;

function toUser(row: postgres.Row): User {
  return {
    id: row.id as string,
    ownerId: row.owner_id as string,
    username: row.username as string,
    isAdmin: row.is_admin as boolean,
    disabled: row.disabled_at !== null,
    dailyTokenLimit: row.daily_token_limit == null ? null : Number(row.daily_token_limit),
    hasPassword: row.password_hash !== null,
    createdAt: iso(row.created_at),
  };
}
