/** `/login` (accounts mode): sign in; already signed-in browsers go straight to `next`. */
import { AuthPage } from "../components/accounts/AuthPage.tsx";
import { authFormProps } from "../components/accounts/auth_page_data.ts";
import AuthForm, { type AuthFormProps } from "../islands/AuthForm.tsx";
import type { AppState } from "../lib/services.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";

interface Data {
  form: AuthFormProps;
  registration: "open" | "invite" | "closed";
}

export const handler: Handlers<AppState, Data> = {
  async GET(_req, ctx) {
    const form = await authFormProps(ctx.state, ctx.url, "login");
    if (ctx.state.user) return new Response(null, { status: 303, headers: { location: form.next } });
    return ctx.render({ form, registration: await ctx.state.services.accounts.registration() });
  },
};

export default function Login({ data }: PageProps<Data, AppState>) {
  const { form, registration } = data;
  const registerHref = `/register${form.next !== "/" ? `?next=${encodeURIComponent(form.next)}` : ""}`;
  return (
    <AuthPage title="Sign in to Mini-Claude">
      <AuthForm {...form} />
      {(form.firstUser || registration !== "closed") && (
        <p class="auth-switch">
          No account? <a href={registerHref}>Create one</a>
        </p>
      )}
    </AuthPage>
  );
}
