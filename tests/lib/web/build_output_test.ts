import assert from "node:assert/strict";
import { buildIslands } from "../../../lib/web/bundle.ts";
import { loadSavedBuild, saveBuild } from "../../../lib/web/build_output.ts";

const ROOT = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");

/** A throwaway project: one island, node_modules linked to the repository's. */
async function tempProject(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "build-output-" });
  await Deno.symlink(`${ROOT}/node_modules`, `${dir}/node_modules`);
  await Deno.mkdir(`${dir}/islands`);
  await Deno.writeTextFile(
    `${dir}/islands/Clock.tsx`,
    `import { useState } from "preact/hooks";\nexport default function Clock() {\n  const [n] = useState(1);\n  return <p>tick {n}</p>;\n}\n`,
  );
  return dir;
}

Deno.test("a saved island build is served byte for byte, and is stale once a source or the island list changes", async () => {
  const root = await tempProject();
  try {
    const islands = ["Clock.tsx"];
    const built = await buildIslands(root, `${root}/islands`, islands, { dev: false });
    assert.ok(built.inputs.includes("islands/Clock.tsx"), built.inputs.join(", "));
    assert.ok(built.inputs.some((i) => i.includes("preact")), "dependencies are inputs too");
    assert.equal((await loadSavedBuild(root, islands, false)).ok, false);
    await saveBuild(root, built, islands, false);

    const loaded = await loadSavedBuild(root, islands, false);
    assert.ok(loaded.ok);
    assert.equal(loaded.bundle.bootUrl, built.bootUrl);
    assert.deepEqual([...loaded.bundle.islandUrls], [...built.islandUrls]);
    assert.deepEqual([...loaded.bundle.files.keys()].sort(), [...built.files.keys()].sort());
    for (const [url, file] of built.files) {
      assert.deepEqual(loaded.bundle.files.get(url)!.contents, file.contents);
    }

    const dev = await loadSavedBuild(root, islands, true);
    assert.deepEqual(dev, { ok: false, reason: "built for another mode" });
    const more = await loadSavedBuild(root, [...islands, "Other.tsx"], false);
    assert.deepEqual(more, { ok: false, reason: "sources changed since the build" });
    await Deno.writeTextFile(
      `${root}/islands/Clock.tsx`,
      "export default function Clock() { return null; }\n",
    );
    const edited = await loadSavedBuild(root, islands, false);
    assert.deepEqual(edited, { ok: false, reason: "sources changed since the build" });
    await Deno.remove(`${root}/islands/Clock.tsx`);
    const deleted = await loadSavedBuild(root, islands, false);
    assert.equal(deleted.ok, false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
