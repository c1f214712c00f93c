import assert from "node:assert/strict";
import { createWebApp, type WebApp } from "../../../lib/web/app.ts";
import { fromFileUrl } from "../../../lib/web/paths.ts";
import { staticFiles } from "../../../lib/web/static.ts";

const root = fromFileUrl(new URL("../../fixtures/web_app", import.meta.url));
let app: WebApp | undefined;
async function getApp(): Promise<WebApp> {
  app ??= await createWebApp({ root, state: () => ({ trail: [] as string[] }) });
  return app;
}
const get = async (path: string, init?: RequestInit) =>
  (await getApp()).fetch(new Request(`http://x${path}`, init));

Deno.test("index.tsx serves its folder; pages without islands ship no JavaScript", async () => {
  const res = await get("/");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  const html = await res.text();
  assert.match(html, /^<!DOCTYPE html><html><head><title>fixture<\/title><\/head><body><div id="app">/);
  assert.match(html, /<main class="root-layout"><p id="home">static home, no islands<\/p><\/main>/);
  assert.doesNotMatch(html, /<script/);
});

Deno.test("[param] captures one segment; [...rest] captures the rest; (group) adds no segment", async () => {
  assert.match(await (await get("/hello-world")).text(), /slug=hello-world/);
  assert.match(
    await (await get("/docs/a/b/c")).text(),
    /<div class="docs-layout"><p id="docs">path=a\/b\/c<\/p>/,
  );
  assert.match(await (await get("/about")).text(), /about \(route group\)/);
  assert.equal((await get("/a/b")).status, 404);
});

Deno.test("static segments beat [param] regardless of file order", async () => {
  assert.deepEqual(await (await get("/api/items/new")).json(), { route: "static beats param" });
  assert.deepEqual(await (await get("/api/items/42")).json(), { id: "42" });
});

Deno.test("handler objects dispatch per method; unknown methods get 405 with Allow", async () => {
  const created = await get("/api/items", { method: "POST", body: JSON.stringify({ a: 1 }) });
  assert.equal(created.status, 201);
  assert.deepEqual(await created.json(), { created: { a: 1 } });
  assert.equal((await get("/api/items/7", { method: "DELETE" })).status, 204);
  const res = await get("/api/items/7", { method: "PUT" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET, HEAD, DELETE");
  assert.equal((await res.json()).error.code, "method_not_allowed");
  const head = await get("/api/items/7", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
});

Deno.test("_middleware.ts runs for its folder and below, outer first; ctx.render passes data", async () => {
  const denied = await get("/admin");
  assert.equal(denied.status, 403);
  assert.equal(denied.headers.get("x-root-mw"), "1");
  const ok = await get("/admin", { headers: { "x-admin": "yes" } });
  assert.match(await ok.text(), /admin via root/);
  assert.equal((await get("/")).headers.get("x-root-mw"), "1");
});

Deno.test("_404 renders for unknown pages; /api gets a JSON 404", async () => {
  const res = await get("/no/such/page");
  assert.equal(res.status, 404);
  assert.match(await res.text(), /<h1 id="nf">Nothing at \/no\/such\/page<\/h1>/);
  const api = await get("/api/nope");
  assert.equal(api.status, 404);
  assert.deepEqual(await api.json(), { error: { code: "not_found", message: "No route for /api/nope" } });
});

Deno.test("_500 renders page errors; API errors are JSON and leak no internals", async () => {
  const original = console.error;
  console.error = () => {};
  try {
    const res = await get("/broken");
    assert.equal(res.status, 500);
    assert.match(await res.text(), /Broken: page exploded/);
    const api = await get("/api/fail");
    assert.equal(api.status, 500);
    const text = await api.text();
    assert.doesNotMatch(text, /secret internals/);
    assert.deepEqual(JSON.parse(text), { error: { code: "internal", message: "Internal server error" } });
  } finally {
    console.error = original;
  }
});

Deno.test("islands are wrapped with JSON props and only that page's islands load", async () => {
  const html = await (await get("/counter")).text();
  assert.match(html, /<mc-island data-id="0"><div><span id="count">3<\/span>/);
  assert.match(html, /<mc-island data-id="1"><p id="greeting">Hello Ada<\/p><\/mc-island>/);
  const data = /<script type="application\/json" id="__mc_islands">(.*?)<\/script>/.exec(html);
  assert.ok(data, "island data block present");
  assert.doesNotMatch(data[1], /<\/script>/i, "props cannot close the script tag");
  const list = JSON.parse(data[1]);
  assert.deepEqual(list.map((i: { exportName: string; props: unknown }) => [i.exportName, i.props]), [
    ["default", { start: 3, label: "</script><script>alert(1)</script>" }],
    ["Greeting", { name: "Ada" }],
  ]);
  const boot = /<script type="module" src="(\/_islands\/boot-[A-Z0-9]+\.js)"><\/script><\/body>/.exec(html);
  assert.ok(boot, "boot script before </body>");
  const js = await get(boot[1]);
  assert.equal(js.status, 200);
  assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.match(js.headers.get("content-type")!, /javascript/);
  await js.body?.cancel();
  for (const island of list) assert.match(island.url, /^\/_islands\/island-\w+-[A-Z0-9]+\.js$/);
});

Deno.test("static files have an ETag and answer 304 to If-None-Match", async () => {
  const res = await get("/site.css");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/css; charset=utf-8");
  assert.equal(await res.text(), await Deno.readTextFile(`${root}/static/site.css`));
  const etag = res.headers.get("etag")!;
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const again = await get("/site.css", { headers: { "if-none-match": etag } });
  assert.equal(again.status, 304);
  const serve = staticFiles(`${root}/static`);
  for (const path of ["/../routes/index.tsx", "/%2e%2e/routes/index.tsx", "/.hidden", "/nul%00l"]) {
    assert.equal(await serve(new Request("http://x/"), path), null, path);
  }
});

Deno.test("path parameters are decoded as Hono decodes them, with the route found on the decoded path", async () => {
  assert.match(await (await get("/caf%C3%A9")).text(), /slug=café/);
  assert.match(await (await get("/docs/a%2Fb/c")).text(), /path=a\/b\/c/);
  assert.match(await (await get("/100%25")).text(), /slug=100%/);
  // A run of escapes that is not UTF-8 is kept as it came.
  assert.match(await (await get("/a%E9%C3%A9")).text(), /slug=a%E9%C3%A9</);
  assert.match(await (await get("/a%E9-%C3%A9")).text(), /slug=a%E9-é</);
  assert.deepEqual(await (await get("/api/items/%34%32")).json(), { id: "42" });
});

Deno.test("the state factory gets the request's context; Deno's peer address is read only when asked", async () => {
  let reads = 0;
  const info = {
    get remoteAddr() {
      reads++;
      return { transport: "tcp", hostname: "192.0.2.7", port: 4000 } as Deno.NetAddr;
    },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo;
  const seen: { path: string; addr?: string }[] = [];
  const withState = await createWebApp<{ trail: string[] }>({
    root,
    state: (ctx) => {
      seen.push({ path: ctx.url.pathname });
      return { trail: [] };
    },
  });
  assert.equal((await withState.fetch(new Request("http://x/hello-world"), info)).status, 200);
  assert.deepEqual(seen, [{ path: "/hello-world" }]);
  assert.equal(reads, 0, "nothing read the address");
  const asking = await createWebApp<{ trail: string[] }>({
    root,
    state: (ctx) => {
      seen.push({ path: ctx.url.pathname, addr: ctx.remoteAddr });
      seen.push({ path: ctx.url.pathname, addr: ctx.remoteAddr });
      return { trail: [] };
    },
  });
  assert.equal((await asking.fetch(new Request("http://x/about"), info)).status, 200);
  assert.deepEqual(seen.slice(1), [{ path: "/about", addr: "192.0.2.7" }, {
    path: "/about",
    addr: "192.0.2.7",
  }]);
  assert.equal(reads, 1, "read once, then remembered");
});
