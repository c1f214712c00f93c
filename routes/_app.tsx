/** The HTML document around every page. The chosen theme comes from a cookie, so there is no flash. */
import type { AppState } from "../lib/services.ts";
import type { LayoutProps } from "../lib/web/types.ts";

/** The open conversation's title, when the page has one. */
function pageTitle(data: unknown): string {
  const title = (data as { conversation?: { title?: unknown } } | undefined)?.conversation?.title;
  return typeof title === "string" ? `${title} · Mini-Claude` : "Mini-Claude";
}

export default function App({ Component, state, data }: LayoutProps<AppState>) {
  return (
    <html lang="en" data-theme={state.theme}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{pageTitle(data)}</title>
        <link rel="stylesheet" href="/app.css" />
        <link rel="stylesheet" href="/markdown.css" />
        <noscript>
          <link rel="stylesheet" href="/noscript.css" />
        </noscript>
        <link rel="stylesheet" href="/attachments.css" />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
      </head>
      <body>
        <Component />
      </body>
    </html>
  );
}
