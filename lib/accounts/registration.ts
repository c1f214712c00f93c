/**
 * Who may create an account: `open` (anyone), `invite` (holders of an unused, unexpired invitation
 * code an admin made) or `closed` (nobody, except the very first user, who becomes admin). The
 * environment's `REGISTRATION` is the default; an admin's choice on `/admin` is stored in
 * `auth_settings` and wins.
 */
import type postgres from "postgres";
import type { Queryable } from "../db/sql.ts";
import { hashToken, isToken, newToken } from "./tokens.ts";

/** Registration modes. */
export const REGISTRATION_MODES = ["open", "invite", "closed"] as const;
/** A registration mode. */
export type RegistrationMode = typeof REGISTRATION_MODES[number];

/** The mode in force: the stored admin choice, else `fallback` (the environment's). */
export async function registrationMode(
  sql: Queryable,
  fallback: RegistrationMode,
): Promise<RegistrationMode> {
  const rows = await sql`select value from auth_settings where key = 'registration'`;
  const value = rows[0]?.value as string | undefined;
  return (REGISTRATION_MODES as readonly string[]).includes(value ?? "")
    ? value as RegistrationMode
    : fallback;
}

/** Stores the admin's choice. */
export async function setRegistrationMode(sql: Queryable, mode: RegistrationMode): Promise<void> {
  await sql`
    insert into auth_settings (key, value) values ('registration', ${mode})
    on conflict (key) do update set value = excluded.value, updated_at = now()`;
}

/** Creates an invitation valid for `ttlSeconds`; returns the code (shown once, stored hashed). */
export async function createInvite(
  sql: Queryable,
  createdBy: string,
  ttlSeconds: number,
): Promise<{ code: string; expiresAt: string }> {
  const code = newToken();
  const rows = await sql`
    insert into invites (code_hash, created_by, expires_at)
    values (${await hashToken(code)}, ${createdBy}, now() + make_interval(secs => ${ttlSeconds}))
    returning expires_at`;
  return { code, expiresAt: new Date(rows[0].expires_at as Date).toISOString() };
}

/** Whether invitation `code` is known, unused and unexpired. */
export async function inviteValid(sql: Queryable, code: string): Promise<boolean> {
  if (!isToken(code)) return false;
  const hash = await hashToken(code);
  const rows = await sql`
    select 1 from invites where code_hash = ${hash} and used_at is null and expires_at > now()`;
  return rows.length > 0;
}

/**
 * Marks invitation `code` used by `userId` inside the caller's transaction; false when the code is
 * unknown, used or expired (the row is locked, so two registrations cannot spend one code).
 */
export async function spendInvite(
  tx: postgres.TransactionSql,
  code: string,
  userId: string,
): Promise<boolean> {
  if (!isToken(code)) return false;
  const hash = await hashToken(code);
  const rows = await tx`
    update invites set used_by = ${userId}, used_at = now()
    where code_hash = ${hash} and used_at is null and expires_at > now()
    returning code_hash`;
  return rows.length > 0;
}
