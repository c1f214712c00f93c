/** The frame of the account pages: a centered card with a heading, and the accounts stylesheet. */
import type { ComponentChildren } from "preact";

/** Props: the page heading and the card's content. */
export function AuthPage(
  { title, children, wide }: { title: string; children: ComponentChildren; wide?: boolean },
) {
  return (
    <main class={wide ? "auth-page auth-page-wide" : "auth-page"}>
      <link rel="stylesheet" href="/accounts.css" />
      <div class="auth-card">
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}
