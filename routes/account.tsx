/** `/account` (accounts mode): the signed-in user's devices, password and sign-out. */
import { AuthPage } from "../components/accounts/AuthPage.tsx";
import AccountPanel, { type AccountPanelProps } from "../islands/AccountPanel.tsx";
import { userJson } from "../lib/accounts/api.ts";
import { listSessions } from "../lib/accounts/sessions.ts";
import type { AppState } from "../lib/services.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";

export const handler: Handlers<AppState, AccountPanelProps> = {
  async GET(_req, ctx) {
    const user = ctx.state.user!;
    const sessions = await listSessions(await ctx.state.services.accounts.sql(), user.id);
    return ctx.render({
      user: userJson(user),
      sessions: sessions.map((s) => ({ ...s, current: s.id === ctx.state.authSessionId })),
    });
  },
};

export default function Account({ data }: PageProps<AccountPanelProps, AppState>) {
  return (
    <AuthPage title="Your account" wide>
      <AccountPanel {...data} />
    </AuthPage>
  );
}
