/**
 * `/admin`: registration mode, invitations, and the users (disable or enable, daily token limit,
 * reset password, delete with all their conversations).
 */
import { useEffect, useState } from "preact/hooks";
import { callJson, errorText } from "../components/accounts/client.ts";
import type { UserJson } from "../lib/accounts/api.ts";

/** Props: the admin asking, every user, and the registration mode in force. */
export interface AdminPanelProps {
  me: UserJson;
  users: UserJson[];
  registration: "open" | "invite" | "closed";
}

export default function AdminPanel(props: AdminPanelProps) {
  const [ready, setReady] = useState(false);
  const [users, setUsers] = useState(props.users);
  const [registration, setRegistration] = useState(props.registration);
  const [invite, setInvite] = useState("");
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
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
  const replace = (u: UserJson) => setUsers((list) => list.map((x) => x.id === u.id ? u : x));
  const patch = (u: UserJson, body: Record<string, unknown>, done: string) =>
    run(async () => {
      replace(await callJson<UserJson>("PATCH", `/api/admin/users/${u.id}`, body));
      setStatus(done);
    });

  return (
    <div class="admin-panel">
      <p>
        <a href="/">Back to chat</a> · <a href="/account">Your account</a>
      </p>
      {error && <p class="auth-error" role="alert">{error}</p>}
      <p class="auth-status" role="status">{status}</p>

      <section aria-labelledby="registration-heading">
        <h2 id="registration-heading">Registration</h2>
        <label for="registration-mode">Who may create an account</label>
        <select
          id="registration-mode"
          value={registration}
          disabled={!ready}
          onChange={(e) => {
            const value = (e.currentTarget as HTMLSelectElement).value as AdminPanelProps["registration"];
            run(async () => {
              await callJson("PUT", "/api/admin/settings", { registration: value });
              setRegistration(value);
              setStatus(`Registration is now ${value}.`);
            });
          }}
        >
          <option value="open">Anyone (open)</option>
          <option value="invite">People with an invitation (invite)</option>
          <option value="closed">Nobody (closed)</option>
        </select>
        <p>
          <button
            type="button"
            class="button"
            disabled={!ready}
            onClick={() =>
              run(async () => {
                const res = await callJson<{ url: string }>("POST", "/api/admin/invites");
                setInvite(res.url);
              })}
          >
            Create invitation link
          </button>
        </p>
        {invite && (
          <p>
            <label for="invite-url">Invitation link (valid 7 days, shown once)</label>
            <input id="invite-url" class="invite-url" readOnly value={invite} />
          </p>
        )}
      </section>

      <section aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        <table class="account-table">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Status</th>
              <th scope="col">Daily token limit</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-user={u.username}>
                <td>
                  {u.username}
                  {u.isAdmin && " (admin)"}
                  {u.id === props.me.id && " (you)"}
                </td>
                <td data-testid="user-status">{u.disabled ? "Disabled" : "Active"}</td>
                <td>
                  <form
                    class="inline-form"
                    onSubmit={(e) => {
                      e.preventDefault();
                      const raw = String(new FormData(e.currentTarget as HTMLFormElement).get("limit") ?? "")
                        .trim();
                      patch(
                        u,
                        { dailyTokenLimit: raw === "" ? null : Number(raw) },
                        `Limit of ${u.username} saved.`,
                      );
                    }}
                  >
                    <label class="visually-hidden" for={`limit-${u.id}`}>
                      Daily token limit of {u.username} (empty = server default)
                    </label>
                    <input
                      id={`limit-${u.id}`}
                      name="limit"
                      type="number"
                      min={0}
                      step={1}
                      placeholder="default"
                      defaultValue={u.dailyTokenLimit === null ? "" : String(u.dailyTokenLimit)}
                    />
                    <button type="submit" class="button button-small" disabled={!ready}>Save</button>
                  </form>
                </td>
                <td class="admin-actions">
                  {u.id !== props.me.id && (
                    <button
                      type="button"
                      class="button button-small"
                      disabled={!ready}
                      onClick={() =>
                        patch(
                          u,
                          { disabled: !u.disabled },
                          `${u.username} ${u.disabled ? "enabled" : "disabled and signed out"}.`,
                        )}
                    >
                      {u.disabled ? `Enable ${u.username}` : `Disable ${u.username}`}
                    </button>
                  )}
                  {u.id !== props.me.id && !u.disabled && (
                    <button
                      type="button"
                      class="button button-small"
                      disabled={!ready}
                      onClick={() =>
                        patch(
                          u,
                          { isAdmin: !u.isAdmin },
                          `${u.username} is ${u.isAdmin ? "no longer an admin" : "now an admin"}.`,
                        )}
                    >
                      {u.isAdmin ? `Remove admin from ${u.username}` : `Make ${u.username} admin`}
                    </button>
                  )}
                  <form
                    class="inline-form"
                    onSubmit={(e) => {
                      e.preventDefault();
                      const formEl = e.currentTarget as HTMLFormElement;
                      const password = String(new FormData(formEl).get("password") ?? "");
                      run(async () => {
                        await callJson("POST", `/api/admin/users/${u.id}/password`, { password });
                        formEl.reset();
                        setStatus(`New password set for ${u.username}; they were signed out everywhere.`);
                      });
                    }}
                  >
                    <label class="visually-hidden" for={`reset-${u.id}`}>New password for {u.username}</label>
                    <input
                      id={`reset-${u.id}`}
                      name="password"
                      type="password"
                      autocomplete="new-password"
                      placeholder="new password"
                      required
                      minLength={8}
                    />
                    <button type="submit" class="button button-small" disabled={!ready}>
                      Reset password
                    </button>
                  </form>
                  {u.id !== props.me.id && (
                    confirmDelete === u.id
                      ? (
                        <button
                          type="button"
                          class="button button-small button-danger"
                          disabled={!ready}
                          onClick={() =>
                            run(async () => {
                              await callJson("DELETE", `/api/admin/users/${u.id}`);
                              setUsers((list) => list.filter((x) => x.id !== u.id));
                              setConfirmDelete(null);
                              setStatus(`${u.username} and their conversations were deleted.`);
                            })}
                        >
                          Confirm: delete {u.username} and all their data
                        </button>
                      )
                      : (
                        <button
                          type="button"
                          class="button button-small"
                          disabled={!ready}
                          onClick={() => setConfirmDelete(u.id)}
                        >
                          Delete {u.username}
                        </button>
                      )
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
