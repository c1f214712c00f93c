/** The signed-in user's links in the chat header (accounts mode): their account page, and admin. */
import type { AccountInfo } from "./types.ts";

/** Props: who is signed in (nothing is rendered without an account). */
export function AccountMenu({ account }: { account?: AccountInfo }) {
  if (!account) return null;
  return (
    <nav class="account-menu" aria-label="Account">
      <a class="button button-small" href="/account" title={`Signed in as ${account.username}`}>
        {account.username}
      </a>
      {account.isAdmin && <a class="button button-small" href="/admin">Admin</a>}
    </nav>
  );
}
