/**
 * The sign-in and registration form (`/login`, `/register`). Offers to move this browser's
 * anonymous conversations into the account when it has some; goes to `next` when signed in.
 */
import { useEffect, useState } from "preact/hooks";
import { callJson, errorText } from "../components/accounts/client.ts";

/** Props of {@link AuthForm}. */
export interface AuthFormProps {
  mode: "login" | "register";
  /** Same-origin path to open after signing in. */
  next: string;
  /** Conversations this browser made before signing in (0 hides the claim box). */
  claimable: number;
  /** Registration needs an invitation code (prefilled from `?invite=`). */
  needsInvite: boolean;
  invite: string;
  /** No account exists yet: this one becomes the admin. */
  firstUser: boolean;
  /** The OpenID Connect provider's button text ("Sign in with …"); null without OIDC. */
  oidcLabel: string | null;
  /** An error to show when the page opens (e.g. a failed provider sign-in). */
  initialError?: string;
}

export default function AuthForm(props: AuthFormProps) {
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(props.initialError ?? "");
  const [claim, setClaim] = useState(true);
  useEffect(() => setReady(true), []);
  const register = props.mode === "register";

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError("");
    try {
      await callJson("POST", register ? "/api/auth/register" : "/api/auth/login", {
        username: String(form.get("username") ?? ""),
        password: String(form.get("password") ?? ""),
        ...(register && props.needsInvite ? { invite: String(form.get("invite") ?? "") } : {}),
        ...(props.claimable > 0 ? { claim } : {}),
      });
      location.assign(props.next);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <form class="auth-form" onSubmit={submit} aria-describedby={error ? "auth-error" : undefined}>
      {register && props.firstUser && (
        <p class="auth-note">No account exists yet: this first account becomes the administrator.</p>
      )}
      <label for="auth-username">Username</label>
      <input
        id="auth-username"
        name="username"
        autocomplete="username"
        required
        minLength={register ? 3 : 1}
        maxLength={64}
        pattern={register ? "[A-Za-z0-9._\\-]+" : undefined}
      />
      <label for="auth-password">Password</label>
      <input
        id="auth-password"
        name="password"
        type="password"
        autocomplete={register ? "new-password" : "current-password"}
        required
        minLength={register ? 8 : 1}
        maxLength={256}
      />
      {register && props.needsInvite && (
        <>
          <label for="auth-invite">Invitation code</label>
          <input id="auth-invite" name="invite" required value={props.invite} autocomplete="off" />
        </>
      )}
      {props.claimable > 0 && (
        <label class="auth-check">
          <input
            type="checkbox"
            name="claim"
            checked={claim}
            onChange={(e) => setClaim((e.currentTarget as HTMLInputElement).checked)}
          />
          Move this browser's {props.claimable} conversation{props.claimable === 1 ? "" : "s"} into my account
        </label>
      )}
      {error && <p id="auth-error" class="auth-error" role="alert">{error}</p>}
      <button type="submit" class="button button-primary" disabled={!ready || busy}>
        {register ? "Create account" : "Sign in"}
      </button>
      {props.oidcLabel && (
        <a
          class="button auth-oidc"
          href={`/api/auth/oidc/start?next=${encodeURIComponent(props.next)}&claim=${
            props.claimable > 0 && claim ? 1 : 0
          }`}
        >
          Sign in with {props.oidcLabel}
        </a>
      )}
    </form>
  );
}
