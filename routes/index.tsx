/** The chat home page: the app shell with an empty conversation area. */
import ThemeToggle from "../islands/ThemeToggle.tsx";
import type { AppState } from "../lib/services.ts";
import type { PageProps } from "../lib/web/types.ts";

export default function Home({ state }: PageProps<unknown, AppState>) {
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/">Mini-Claude</a>
        <ThemeToggle initial={state.theme} />
      </header>
      <main class="conversation" id="conversation">
        <div class="empty-state">
          <h1>How can I help you today?</h1>
          <p>Start a conversation below.</p>
        </div>
      </main>
    </div>
  );
}
