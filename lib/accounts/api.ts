/**
 * The accounts HTTP API's request bodies (zod) and response shapes, shared by `routes/api/auth/*`,
 * `routes/api/admin/*` and the islands that call them.
 */
import { z } from "zod";
import { authCookie, clearAuthCookie, isHttps } from "./cookie.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./passwords.ts";
import { REGISTRATION_MODES } from "./registration.ts";
import type { AppState } from "../services.ts";
import type { Requester, SignInResult } from "./service.ts";
import type { AuthSession } from "./sessions.ts";
import type { User } from "./users.ts";

const username = z.string().trim().min(3, "username: at least 3 characters").max(64)
  .regex(/^[A-Za-z0-9._-]+$/, "username: letters, digits, dot, dash and underscore only");
const password = z.string().min(MIN_PASSWORD_LENGTH, `password: at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH);

/** `POST /api/auth/register`. */
export const RegisterBody = z.strictObject({
  username,
  password,
  invite: z.string().max(100).optional(),
  /** Move this browser's anonymous conversations into the new account. */
  claim: z.boolean().optional(),
});

/** `POST /api/auth/login` (any text: a wrong name must get the same answer as a wrong password). */
export const LoginBody = z.strictObject({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  claim: z.boolean().optional(),
});

/** `POST /api/auth/password`. */
export const ChangePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  newPassword: password,
});

/** `PATCH /api/admin/users/:id`. */
export const UserPatchBody = z.strictObject({
  disabled: z.boolean().optional(),
  isAdmin: z.boolean().optional(),
  dailyTokenLimit: z.number().int().min(0).max(1_000_000_000).nullable().optional(),
});

/** `POST /api/admin/users/:id/password`. */
export const ResetPasswordBody = z.strictObject({ password });

/** `PUT /api/admin/settings`. */
export const SettingsBody = z.strictObject({ registration: z.enum(REGISTRATION_MODES) });

/** A user as the API shows it. */
export interface UserJson {
  id: string;
  username: string;
  isAdmin: boolean;
  disabled: boolean;
  dailyTokenLimit: number | null;
  /** False for accounts that sign in only through OIDC. */
  hasPassword: boolean;
  createdAt: string;
}

/** The API shape of `user`. */
export function userJson(user: User): UserJson {
  return {
    id: user.id,
    username: user.username,
    isAdmin: user.isAdmin,
    disabled: user.disabled,
    dailyTokenLimit: user.dailyTokenLimit,
    hasPassword: user.hasPassword,
    createdAt: user.createdAt,
  };
}

/** A signed-in device as the API shows it; `current` marks the one asking. */
export interface SessionJson extends AuthSession {
  current: boolean;
}

/** The response of a successful register or login: the user, with the sign-in cookie set. */
export function signedInResponse(
  req: Request,
  url: URL,
  result: SignInResult,
  ttlSeconds: number,
  status = 200,
) {
  const secure = isHttps(req, url);
  return Response.json(
    { user: userJson(result.user), claimed: result.claimed },
    { status, headers: { "set-cookie": authCookie(result.token, secure, ttlSeconds) } },
  );
}

/** A 204 that also deletes the sign-in cookie. */
export function signedOutResponse(req: Request, url: URL): Response {
  return new Response(null, { status: 204, headers: { "set-cookie": clearAuthCookie(isHttps(req, url)) } });
}

/** Who is asking, as the account service needs it. */
export function requester(req: Request, state: AppState): Requester {
  return {
    anonymousOwnerId: state.anonymousOwnerId ?? state.sessionId,
    userAgent: req.headers.get("user-agent") ?? "",
    clientIp: state.clientIp,
  };
}
