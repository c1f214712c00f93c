/** Server-side props of the sign-in and registration pages. */
import { countClaimable } from "../../lib/accounts/claim.ts";
import { safeNext } from "../../lib/accounts/gate.ts";
import type { AppState } from "../../lib/services.ts";
import type { AuthFormProps } from "../../islands/AuthForm.tsx";

/** Messages for `/login?error=<code>` (set by the OIDC callback). */
const SIGN_IN_ERRORS: Record<string, string> = {
  oidc_unavailable: "The sign-in provider cannot be reached right now. Try again shortly.",
  oidc_expired: "The sign-in took too long or was started in another browser. Try again.",
  oidc_failed: "The sign-in provider's answer could not be verified. Try again.",
  registration_closed: "Registration is closed on this server. Ask its admin for an account.",
  account_disabled: "This account is disabled. Ask an admin.",
  rate_limited: "Too many sign-in attempts. Wait a while and try again.",
  username_taken: "No free username could be made for this account. Ask an admin.",
};

/** Props of the `AuthForm` island for `mode`, from the request. */
export async function authFormProps(
  state: AppState,
  url: URL,
  mode: "login" | "register",
): Promise<AuthFormProps> {
  const { accounts } = state.services;
  const sql = await accounts.sql();
  const [claimable, registration, hasUsers] = await Promise.all([
    countClaimable(sql, state.anonymousOwnerId ?? state.sessionId),
    accounts.registration(),
    accounts.hasUsers(),
  ]);
  return {
    mode,
    next: safeNext(url.searchParams.get("next")),
    claimable,
    needsInvite: hasUsers && registration === "invite",
    invite: (url.searchParams.get("invite") ?? "").slice(0, 100),
    firstUser: !hasUsers,
    oidcLabel: accounts.oidcSettings?.label ?? null,
    initialError: SIGN_IN_ERRORS[url.searchParams.get("error") ?? ""],
  };
}
