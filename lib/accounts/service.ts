/**
 * Account operations behind the `/api/auth/*` and `/api/admin/*` routes: register, sign in (rate
 * limited per account, where only failed attempts count, and per address, where all do, with the same work and the same answer for an unknown name
 * as for a wrong password), sessions, password changes, claiming anonymous conversations, and the
 * admin's user management. Errors are {@link HttpError}s with a code.
 */
import type postgres from "postgres";
import { refundBuckets } from "../db/rate_limits.ts";
import type { MultiKeyRateLimiter } from "../security/rate_limit.ts";
import { HttpError } from "../web/errors.ts";
import { claimConversations } from "./claim.ts";
import type { OidcIdentity, OidcProvider } from "./oidc.ts";
import type { OidcSettings } from "./oidc_settings.ts";
import { usernameFrom } from "./username.ts";
import { newToken } from "./tokens.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { inviteValid, type RegistrationMode, registrationMode, spendInvite } from "./registration.ts";
import { type AuthSession, createSession, deleteExpiredSessions, revokeAllSessions } from "./sessions.ts";
import * as users from "./users.ts";
import type { User } from "./users.ts";

/** What the service needs. */
export interface AccountServiceOptions {
  sql: postgres.Sql;
  /** Runs before each database use (pending migrations). */
  ready: () => Promise<unknown>;
  limiter: MultiKeyRateLimiter;
  /** Registration mode when no admin has chosen one. */
  registration: RegistrationMode;
  sessionTtlSeconds: number;
  /** OpenID Connect sign-in, when configured. */
  oidc?: OidcSettings;
}

/** Who is asking: the browser's anonymous owner id (for claims), its user agent and address. */
export interface Requester {
  anonymousOwnerId: string;
  userAgent: string;
  clientIp: string | null;
}

/** A successful sign-in: the user, the session token for the cookie, and conversations claimed. */
export interface SignInResult {
  user: User;
  token: string;
  session: AuthSession;
  claimed: number;
}

const SWEEP_EVERY_MS = 3_600_000;
const INVALID_CREDENTIALS = "Wrong username or password.";

/** The account operations. */
export class AccountService {
  #lastSweep = 0;
  #oidc: Promise<OidcProvider> | null = null;
  constructor(private readonly o: AccountServiceOptions) {}

  /** The OIDC settings, when sign-in through a provider is configured. */
  get oidcSettings(): OidcSettings | undefined {
    return this.o.oidc;
  }

  /** The OIDC client (its library is loaded on first use); null when not configured. */
  oidc(): Promise<OidcProvider | null> {
    const settings = this.o.oidc;
    if (!settings) return Promise.resolve(null);
    this.#oidc ??= import("./oidc.ts").then((m) => new m.OidcProvider(settings));
    return this.#oidc;
  }

  /**
   * Signs in the account linked to a provider-verified identity, creating it on first sign-in
   * (the first account of the server becomes admin; with registration `closed` no account is
   * created; `invite` does not apply: the provider vouches for its users). The username is the
   * provider's suggestion, numbered when taken.
   */
  async signInWithOidc(identity: OidcIdentity, claim: boolean, who: Requester): Promise<SignInResult> {
    if (who.clientIp) await this.#limit([`login_ip:${who.clientIp}`]);
    const sql = await this.sql();
    let user = await users.findByOidc(sql, identity.issuer, identity.subject);
    if (!user) {
      const mode = await this.registration();
      const oidc = { issuer: identity.issuer, subject: identity.subject };
      const base = usernameFrom(identity.username);
      for (let i = 0; i < 12 && !user; i++) {
        const username = i === 0 ? base : i < 10 ? `${base}-${i + 1}` : `${base}-${newToken().slice(0, 6)}`;
        user = await users.createUser(sql, { username, passwordHash: null, oidc }, {
          authorize: (_tx, first) => {
            if (!first && mode === "closed") {
              throw new HttpError(
                403,
                "registration_closed",
                "Registration is closed. Ask an admin for an account.",
              );
            }
            return Promise.resolve();
          },
        }) ?? await users.findByOidc(sql, identity.issuer, identity.subject);
      }
      if (!user) {
        throw new HttpError(409, "username_taken", "No free username could be made for this account.");
      }
    }
    if (user.disabled) {
      throw new HttpError(403, "account_disabled", "This account is disabled. Ask an admin.");
    }
    return await this.#startSession(user, claim, who);
  }

  /** Session lifetime after last use, seconds. */
  get sessionTtlSeconds(): number {
    return this.o.sessionTtlSeconds;
  }

  /** The database handle (after pending migrations). */
  async sql(): Promise<postgres.Sql> {
    await this.o.ready();
    return this.o.sql;
  }

  /** The registration mode in force. */
  async registration(): Promise<RegistrationMode> {
    return await registrationMode(await this.sql(), this.o.registration);
  }

  /** Whether any account exists (the register page then explains that the first becomes admin). */
  async hasUsers(): Promise<boolean> {
    const sql = await this.sql();
    const rows = await sql`select exists (select 1 from users) as any`;
    return rows[0].any as boolean;
  }

  /**
   * Creates an account and signs it in. The first account is always allowed and becomes admin;
   * later ones follow the registration mode (`invite` needs an unused code).
   */
  async register(
    input: { username: string; password: string; invite?: string; claim?: boolean },
    who: Requester,
  ): Promise<SignInResult> {
    await this.#limit(who.clientIp ? [`login_ip:${who.clientIp}`] : []);
    const sql = await this.sql();
    const mode = await this.registration();
    const passwordHash = await hashPassword(input.password);
    const refuseInvite = () =>
      new HttpError(403, "invite_required", "Registration needs a valid, unused invitation code.");
    const user = await users.createUser(sql, { username: input.username, passwordHash }, {
      authorize: async (tx, first) => {
        if (first || mode === "open") return;
        if (mode === "closed") {
          throw new HttpError(
            403,
            "registration_closed",
            "Registration is closed. Ask an admin for an account.",
          );
        }
        if (!await inviteValid(tx, input.invite ?? "")) throw refuseInvite();
      },
      afterInsert: async (tx, created, first) => {
        if (first || mode !== "invite") return;
        if (!await spendInvite(tx, input.invite ?? "", created.id)) throw refuseInvite();
      },
    });
    if (!user) throw new HttpError(409, "username_taken", "That username is taken. Choose another.");
    return await this.#startSession(user, input.claim === true, who);
  }

  /**
   * Signs in with a username and password. Unknown names cost the same argon2 work as wrong
   * passwords and get the same answer; a disabled account is named only after a correct password.
   */
  async login(
    input: { username: string; password: string; claim?: boolean },
    who: Requester,
  ): Promise<SignInResult> {
    const keys = [`login:${input.username.toLowerCase()}`];
    if (who.clientIp) keys.push(`login_ip:${who.clientIp}`);
    await this.#limit(keys);
    const found = await users.findByUsername(await this.sql(), input.username);
    const ok = await verifyPassword(input.password, found?.passwordHash ?? null);
    if (!found || !ok) throw new HttpError(401, "invalid_credentials", INVALID_CREDENTIALS);
    await this.#refund(keys[0]);
    if (found.user.disabled) {
      throw new HttpError(403, "account_disabled", "This account is disabled. Ask an admin.");
    }
    return await this.#startSession(found.user, input.claim === true, who);
  }

  /** Signs `user` in after an external proof of identity (OIDC). */
  async signInVerified(user: User, claim: boolean, who: Requester): Promise<SignInResult> {
    if (user.disabled) {
      throw new HttpError(403, "account_disabled", "This account is disabled. Ask an admin.");
    }
    return await this.#startSession(user, claim, who);
  }

  /**
   * Changes `user`'s password after checking the current one, and signs out every other session
   * (`keepSessionId` stays signed in).
   */
  async changePassword(user: User, current: string, next: string, keepSessionId: string): Promise<number> {
    const sql = await this.sql();
    const key = `login:${user.username.toLowerCase()}`;
    await this.#limit([key]);
    if (!await verifyPassword(current, await users.passwordHashOf(sql, user.id))) {
      throw new HttpError(403, "wrong_password", "The current password is not correct.");
    }
    await this.#refund(key);
    await users.setPasswordHash(sql, user.id, await hashPassword(next));
    const rows = await sql`delete from auth_sessions where user_id = ${user.id} and id <> ${keepSessionId}
                           returning id`;
    return rows.length;
  }

  /** Admin: sets a new password for user `id` and signs them out everywhere; false when unknown. */
  async resetPassword(id: string, password: string): Promise<boolean> {
    const sql = await this.sql();
    if (!await users.setPasswordHash(sql, id, await hashPassword(password))) return false;
    await revokeAllSessions(sql, id);
    return true;
  }

  /**
   * Admin: applies `patch` to user `id`. Disabling revokes every session of the user. The last
   * enabled admin can be neither disabled nor demoted (nobody could administer the server then).
   */
  async updateUser(actor: User, id: string, patch: users.UserPatch): Promise<User | null> {
    const sql = await this.sql();
    return await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${users.USERS_LOCK_KEY.toString()}::bigint)`;
      const target = await users.getUser(tx, id);
      if (!target) return null;
      const losesAdmin = target.isAdmin && !target.disabled &&
        (patch.disabled === true || patch.isAdmin === false);
      if (losesAdmin && await users.countActiveAdmins(tx) <= 1) {
        throw new HttpError(409, "last_admin", "This is the last admin; make another admin first.");
      }
      if (target.id === actor.id && patch.disabled === true) {
        throw new HttpError(409, "cannot_disable_self", "You cannot disable your own account.");
      }
      const updated = await users.updateUser(tx, id, patch);
      if (patch.disabled === true) await revokeAllSessions(tx, id);
      return updated;
    });
  }

  /** Admin: deletes user `id` with all their conversations; false when unknown. */
  async deleteUser(actor: User, id: string): Promise<boolean> {
    const sql = await this.sql();
    return await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${users.USERS_LOCK_KEY.toString()}::bigint)`;
      const target = await users.getUser(tx, id);
      if (!target) return false;
      if (target.id === actor.id) {
        throw new HttpError(409, "cannot_delete_self", "You cannot delete your own account here.");
      }
      if (target.isAdmin && !target.disabled && await users.countActiveAdmins(tx) <= 1) {
        throw new HttpError(409, "last_admin", "This is the last admin; make another admin first.");
      }
      return await users.deleteUser(tx, id);
    });
  }

  async #startSession(user: User, claim: boolean, who: Requester): Promise<SignInResult> {
    const sql = await this.sql();
    if (Date.now() - this.#lastSweep > SWEEP_EVERY_MS) {
      // Expired rows are already refused; this only keeps the table small. At most hourly, on a sign-in.
      this.#lastSweep = Date.now();
      await deleteExpiredSessions(sql).catch(() => 0);
    }
    const claimed = claim ? await claimConversations(sql, who.anonymousOwnerId, user.ownerId) : 0;
    const { token, session } = await createSession(sql, user.id, who.userAgent, this.o.sessionTtlSeconds);
    return { user, token, session, claimed };
  }

  /** Gives a successful attempt back to the account's bucket: only failures count toward its limit. */
  async #refund(key: string): Promise<void> {
    await refundBuckets(this.o.sql, [{ key, cost: 1 }]).catch(() => {});
  }

  async #limit(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const decision = await this.o.limiter.takeAll(keys, 1);
    if (!decision.allowed) {
      throw new HttpError(
        429,
        "rate_limited",
        `Too many sign-in attempts; retry in ${decision.retryAfterSeconds} s.`,
        { "retry-after": String(decision.retryAfterSeconds) },
      );
    }
  }
}
