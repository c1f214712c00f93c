/** `/register` (accounts mode): create an account (the first one becomes admin). */
import { AuthPage } from "../components/accounts/AuthPage.tsx";
import { authFormProps } from "../components/accounts/auth_page_data.ts";
import AuthForm, { type AuthFormProps } from "../islands/AuthForm.tsx";
import type { AppState } from "../lib/services.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";

interface Data {
  form: AuthFormProps;
  closed: boolean;
}

export const handler: Handlers<AppState, Data> = {
  async GET(_req, ctx) {
    const form = await authFormProps(ctx.state, ctx.url, "register");
    if (ctx.state.user) return new Response(null, { status: 303, headers: { location: form.next } });
    const closed = !form.firstUser && await ctx.state.services.accounts.registration() === "closed";
    return ctx.render({ form, closed });
  },
};

export default function Register({ data }: PageProps<Data, AppState>) {
  return (
    <AuthPage title="Create an account">
      {data.closed
        ? <p class="auth-note">Registration is closed on this server. Ask its admin for an account.</p>
        : <AuthForm {...data.form} />}
      <p class="auth-switch">
        Have an account? <a href="/login">Sign in</a>
      </p>
    </AuthPage>
  );
}
