/** `/admin` (accounts mode, admins only): users, registration mode, invitations, limits. */
import { AuthPage } from "../components/accounts/AuthPage.tsx";
import AdminPanel, { type AdminPanelProps } from "../islands/AdminPanel.tsx";
import { userJson } from "../lib/accounts/api.ts";
import { listUsers } from "../lib/accounts/users.ts";
import type { AppState } from "../lib/services.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";

export const handler: Handlers<AppState, AdminPanelProps> = {
  async GET(_req, ctx) {
    const { accounts } = ctx.state.services;
    const [users, registration] = await Promise.all([
      listUsers(await accounts.sql()),
      accounts.registration(),
    ]);
    return ctx.render({ me: userJson(ctx.state.user!), users: users.map(userJson), registration });
  },
};

export default function Admin({ data }: PageProps<AdminPanelProps, AppState>) {
  return (
    <AuthPage title="Administration" wide>
      <AdminPanel {...data} />
    </AuthPage>
  );
}
