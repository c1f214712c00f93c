/**
 * `deno task build`: bundles the islands ahead of time into `_fresh/` (see lib/web/build_output.ts), so
 * `deno task start` serves them without running esbuild. Does nothing when the saved build is current
 * (`--force` rebuilds anyway). Prints one line.
 */
import { buildIslands } from "../lib/web/bundle.ts";
import { loadSavedBuild, saveBuild } from "../lib/web/build_output.ts";
import { listIslandFiles } from "../lib/web/app.ts";
import { fromFileUrl } from "../lib/web/paths.ts";
import webConfig from "../fresh.config.ts";

const root = fromFileUrl(new URL("..", import.meta.url)).replace(/\/$/, "");
const islandsDir = `${root}/${webConfig.islandsDir}`;
const islandFiles = await listIslandFiles(islandsDir);
const t0 = performance.now();
if (!Deno.args.includes("--force") && (await loadSavedBuild(root, islandFiles, false)).ok) {
  console.log(`build: _fresh/ is current (checked in ${(performance.now() - t0).toFixed(0)} ms)`);
} else {
  const bundle = await buildIslands(root, islandsDir, islandFiles, { dev: false });
  const dir = await saveBuild(root, bundle, islandFiles, false);
  const bytes = [...bundle.files.values()].reduce((n, f) => n + f.contents.length, 0);
  console.log(
    `build: ${bundle.files.size} files, ${bytes} bytes, ${islandFiles.length} islands -> ${dir} ` +
      `in ${(performance.now() - t0).toFixed(0)} ms`,
  );
}
