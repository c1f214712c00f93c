/**
 * Page rendering: page -> layouts (outer first) -> `_app`, rendered to HTML on the server, then the
 * island data block and the boot script are added only when the page contains islands.
 */
import { type ComponentType, h, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import type { IslandBundle } from "./bundle.ts";
import { collectIslands, jsonForScript } from "./islands.ts";
import type { PageComponent, PageProps, RouteContext } from "./types.ts";

/** What a page render needs. */
export interface PageModule {
  page: PageComponent;
  /** Layouts from the outermost folder inwards. */
  layouts: ComponentType<never>[];
  app?: ComponentType<never>;
  islands: IslandBundle;
}

/** Renders a page response. Async pages are awaited first; the tree itself renders synchronously. */
export async function renderPage(
  mod: PageModule,
  ctx: RouteContext<unknown>,
  data: unknown,
  init: ResponseInit = {},
  error?: unknown,
): Promise<Response> {
  const props: PageProps = {
    data,
    params: ctx.params,
    url: ctx.url,
    state: ctx.state as Record<string, unknown>,
    error,
  };
  const pageOutput = await mod.page(props);
  const Page = () => pageOutput as VNode;
  let Inner: ComponentType = Page;
  for (const Layout of [...mod.layouts].reverse()) {
    const Wrapped: ComponentType = Inner;
    const LayoutC = Layout as unknown as ComponentType<Record<string, unknown>>;
    Inner = (): VNode => h(LayoutC, { ...props, Component: Wrapped });
  }
  const root: VNode = mod.app
    ? h(mod.app as unknown as ComponentType<Record<string, unknown>>, { ...props, Component: Inner })
    : h(Inner, {});
  const { result: body, islands } = collectIslands(() => renderToString(root));
  let html = body.startsWith("<!DOCTYPE") ? body : `<!DOCTYPE html>${body}`;
  if (islands.length > 0) {
    const list = islands.map((i) => ({
      id: i.id,
      url: mod.islands.islandUrls.get(i.file),
      exportName: i.exportName,
      props: i.props,
    }));
    const preload = [...new Set(list.map((i) => i.url))]
      .map((u) => `<link rel="modulepreload" href="${u}">`).join("");
    const scripts = `<script type="application/json" id="__mc_islands">${jsonForScript(list)}</script>` +
      `<script type="module" src="${mod.islands.bootUrl}"></script>`;
    html = insertBefore(html, "</head>", preload);
    html = insertBefore(html, "</body>", scripts);
  }
  const headers = new Headers(init.headers);
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(html, { ...init, headers });
}

function insertBefore(html: string, marker: string, text: string): string {
  const at = html.lastIndexOf(marker);
  return at === -1 ? html + text : html.slice(0, at) + text + html.slice(at);
}
