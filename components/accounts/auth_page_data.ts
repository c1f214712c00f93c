/** Server-side props of the sign-in and registration pages. */
import { countClaimable } from "../../lib/accounts/claim.ts";
import { safeNext } from "../../lib/accounts/gate.ts";
import type { AppState } from "../../lib/services.ts";
import type { AuthFormProps } from "../../islands/AuthForm.tsx";

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
  };
}
