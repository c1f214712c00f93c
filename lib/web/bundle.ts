/**
 * Builds the browser JavaScript: the boot script plus one entry per island file, with code
 * splitting so Preact ships once. Output stays in memory under content-hashed names, served
 * with a year-long immutable cache.
 */
import * as esbuild from "esbuild";
import { fromFileUrl } from "./paths.ts";

/** One built file. */
export interface BuiltFile {
  contents: Uint8Array;
  contentType: string;
}

/** Result of a build: URL path -> file, and where each entry landed. */
export interface IslandBundle {
  files: Map<string, BuiltFile>;
  /** URL of the boot script. */
  bootUrl: string;
  /** URL of each island entry, keyed by its file name relative to `islands/`. */
  islandUrls: Map<string, string>;
  /** Every file esbuild read (relative to the project root), for the staleness check of a saved build. */
  inputs: string[];
}

/** URL prefix of built assets. */
export const BUILD_PREFIX = "/_islands/";

/** Bundles `islandFiles` (relative to `islandsDir`) and the boot script. */
export async function buildIslands(
  projectRoot: string,
  islandsDir: string,
  islandFiles: string[],
  opts: { dev: boolean },
): Promise<IslandBundle> {
  const boot = fromFileUrl(new URL("./client/boot.ts", import.meta.url));
  const entryPoints: Record<string, string> = { boot };
  for (const file of islandFiles) entryPoints[entryName(file)] = `${islandsDir}/${file}`;
  try {
    const result = await esbuild.build({
      entryPoints,
      absWorkingDir: projectRoot,
      bundle: true,
      splitting: true,
      format: "esm",
      target: "es2022",
      platform: "browser",
      jsx: "automatic",
      jsxImportSource: "preact",
      minify: !opts.dev,
      sourcemap: opts.dev ? "inline" : false,
      outdir: "/out",
      entryNames: "[name]-[hash]",
      chunkNames: "chunk-[hash]",
      write: false,
      logLevel: "silent",
      metafile: true,
      define: { "process.env.NODE_ENV": opts.dev ? '"development"' : '"production"' },
    });
    const files = new Map<string, BuiltFile>();
    for (const out of result.outputFiles) {
      const name = out.path.slice(out.path.lastIndexOf("/") + 1);
      files.set(BUILD_PREFIX + name, {
        contents: out.contents,
        contentType: "text/javascript; charset=utf-8",
      });
    }
    const urlOf = (entryName: string) => {
      const pattern = new RegExp(`^${BUILD_PREFIX}${entryName}-[A-Z0-9]+\\.js$`);
      const url = [...files.keys()].find((u) => pattern.test(u));
      if (!url) throw new Error(`esbuild produced no output for entry ${entryName}`);
      return url;
    };
    const islandUrls = new Map(islandFiles.map((f) => [f, urlOf(entryName(f))]));
    const inputs = Object.keys(result.metafile?.inputs ?? {}).sort();
    return { files, bootUrl: urlOf("boot"), islandUrls, inputs };
  } finally {
    await esbuild.stop();
  }
}

function entryName(islandFile: string): string {
  return `island-${islandFile.replace(/\.[jt]sx?$/, "").replace(/\W/g, "_")}`;
}
