/**
 * `/account`: sign out, change password, and the signed-in devices (revoke one, or sign out
 * everywhere).
 */
import { useEffect, useState } from "preact/hooks";
import { callJson, errorText } from "../components/accounts/client.ts";
import type { SessionJson, UserJson } from "../lib/accounts/api.ts";

/** Props: the signed-in user and their live sessions. */
export interface AccountPanelProps {
  user: UserJson;
  sessions: SessionJson[];
}

const when = (iso: string) => new Date(iso).toLocaleString();

export default function AccountPanel(props: AccountPanelProps) {
  const [ready, setReady] = useState(false);
  const [sessions, setSessions] = useState(props.sessions);
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  useEffect(() => setReady(true), []);

  const run = async (action: () => Promise<void>) => {
    setError("");
    setStatus("");
    try {
      await action();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const signOut = () =>
    run(async () => {
      await callJson("POST", "/api/auth/logout");
      location.assign("/login");
    });
  const signOutEverywhere = () =>
    run(async () => {
      await callJson("DELETE", "/api/auth/sessions");
      location.assign("/login");
    });
  const revoke = (s: SessionJson) =>
    run(async () => {
      await callJson("DELETE", `/api/auth/sessions/${s.id}`);
      if (s.current) return location.assign("/login");
      setSessions((list) => list.filter((x) => x.id !== s.id));
      setStatus("Device signed out.");
    });
  const changePassword = (e: Event) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    return run(async () => {
      const res = await callJson<{ signedOutSessions: number }>("POST", "/api/auth/password", {
        currentPassword: String(form.get("currentPassword") ?? ""),
        newPassword: String(form.get("newPassword") ?? ""),
      });
      formEl.reset();
      setSessions((list) => list.filter((x) => x.current));
      setStatus(`Password changed. ${res.signedOutSessions} other device(s) signed out.`);
    });
  };

  return (
    <div class="account-panel">
      <p>
        Signed in as <strong data-testid="account-username">{props.user.username}</strong>
        {props.user.isAdmin && " (admin)"}. <a href="/">Back to chat</a>
        {props.user.isAdmin && (
          <>
            {" · "}
            <a href="/admin">Admin</a>
          </>
        )}
      </p>
      <p>
        <button type="button" class="button" disabled={!ready} onClick={signOut}>Sign out</button>
      </p>
      {error && <p class="auth-error" role="alert">{error}</p>}
      <p class="auth-status" role="status">{status}</p>

      <section aria-labelledby="devices-heading">
        <h2 id="devices-heading">Signed-in devices</h2>
        <table class="account-table">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last seen</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.id} data-session-id={s.id}>
                <td>
                  {s.userAgent || "Unknown device"}
                  {s.current && (
                    <>
                      {" "}
                      <strong>(this device)</strong>
                    </>
                  )}
                </td>
                <td>{when(s.createdAt)}</td>
                <td>{when(s.lastSeenAt)}</td>
                <td>
                  <button
                    type="button"
                    class="button button-small"
                    disabled={!ready}
                    aria-label={`Sign out ${s.current ? "this device" : s.userAgent || "device"}`}
                    onClick={() => revoke(s)}
                  >
                    Sign out
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <p>
          <button type="button" class="button button-danger" disabled={!ready} onClick={signOutEverywhere}>
            Sign out everywhere
          </button>
        </p>
      </section>

      {props.user.hasPassword !== false && (
        <section aria-labelledby="password-heading">
          <h2 id="password-heading">Change password</h2>
          <form class="auth-form" onSubmit={changePassword}>
            <label for="current-password">Current password</label>
            <input
              id="current-password"
              name="currentPassword"
              type="password"
              autocomplete="current-password"
              required
            />
            <label for="new-password">New password (at least 8 characters)</label>
            <input
              id="new-password"
              name="newPassword"
              type="password"
              autocomplete="new-password"
              required
              minLength={8}
              maxLength={256}
            />
            <button type="submit" class="button button-primary" disabled={!ready}>Change password</button>
          </form>
        </section>
      )}
    </div>
  );
}
