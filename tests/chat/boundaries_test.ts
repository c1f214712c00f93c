/**
 * The reply core is transport-free: nothing under `lib/chat` reaches `lib/web` or the service
 * container (`lib/services.ts`), directly or through another module (issue 19).
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

Deno.test("lib/chat imports neither lib/web nor lib/services.ts, even indirectly", async () => {
  const entries = [...Deno.readDirSync(new URL("lib/chat/", root))]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => new URL(`lib/chat/${e.name}`, root).pathname);
  assert.ok(entries.length >= 5);
  const offenders: string[] = [];
  const reached = new Set<string>();
  for (const entry of entries) {
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root.pathname,
      stdout: "piped",
    }).output();
    const graph = JSON.parse(new TextDecoder().decode(info.stdout)) as { modules: { specifier: string }[] };
    for (const { specifier } of graph.modules) {
      if (!specifier.startsWith(root.href)) continue;
      const path = specifier.slice(root.href.length);
      reached.add(path);
      if (path.startsWith("lib/web/") || path === "lib/services.ts") offenders.push(`${entry} -> ${path}`);
    }
  }
  assert.ok(reached.has("lib/db/mod.ts"), "the graphs list the project's own modules");
  assert.deepEqual(offenders, []);
});
