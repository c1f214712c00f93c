/** Page for unknown URLs. */
import type { PageProps } from "../lib/web/types.ts";

export default function NotFound({ url }: PageProps) {
  return (
    <main class="error-page">
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{url.pathname}</code>. <a href="/">Back to the chat</a>
      </p>
    </main>
  );
}
