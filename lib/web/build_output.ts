/**
 * The ahead-of-time island build (`deno task build`, as Fresh 2's `_fresh/`): the bundles from
 * {@link buildIslands} saved under `_fresh/islands/` with a manifest, so `deno task start` serves them
 * without running esbuild. The manifest records a fingerprint (SHA-256 of every file esbuild read, the
 * island list and the mode); a saved build whose inputs changed is stale and is not used.
 */
import { CodedError } from "../../ml/errors.ts";
import { BUILD_PREFIX, type BuiltFile, type IslandBundle } from "./bundle.ts";

/** Folder of the saved build, relative to the project root. */
export const BUILD_DIR = "_fresh";
const MANIFEST = "manifest.json";
const FILES_DIR = "islands";

interface Manifest {
  version: 1;
  fingerprint: string;
  dev: boolean;
  bootUrl: string;
  islandUrls: Record<string, string>;
  inputs: string[];
  files: string[];
}

/** Thrown when the saved build is missing or stale and esbuild may not run (no `--allow-run`). */
export class BuildMissingError extends CodedError<"build_missing"> {
  /** The saved build is missing or stale; `message` says which and what to run. */
  constructor(message: string) {
    super("build_missing", message);
    this.name = "BuildMissingError";
  }
}

/** Why a saved build cannot be used, or null when it can. */
export type SavedBuild = { ok: true; bundle: IslandBundle } | { ok: false; reason: string };

async function fingerprint(root: string, inputs: string[], islandFiles: string[], dev: boolean) {
  const parts: Uint8Array[] = [new TextEncoder().encode(JSON.stringify({ islandFiles, dev, inputs }))];
  for (const input of inputs) parts.push(await Deno.readFile(`${root}/${input}`));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length + 1;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Writes `bundle` (built with `dev`) to `<root>/_fresh/`, replacing an earlier build. */
export async function saveBuild(
  root: string,
  bundle: IslandBundle,
  islandFiles: string[],
  dev: boolean,
): Promise<string> {
  const dir = `${root}/${BUILD_DIR}`;
  await Deno.remove(`${dir}/${FILES_DIR}`, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${dir}/${FILES_DIR}`, { recursive: true });
  const files: string[] = [];
  for (const [url, file] of bundle.files) {
    const name = url.slice(BUILD_PREFIX.length);
    await Deno.writeFile(`${dir}/${FILES_DIR}/${name}`, file.contents);
    files.push(name);
  }
  const manifest: Manifest = {
    version: 1,
    fingerprint: await fingerprint(root, bundle.inputs, islandFiles, dev),
    dev,
    bootUrl: bundle.bootUrl,
    islandUrls: Object.fromEntries(bundle.islandUrls),
    inputs: bundle.inputs,
    files: files.sort(),
  };
  await Deno.writeTextFile(`${dir}/${MANIFEST}`, JSON.stringify(manifest, null, 2) + "\n");
  return dir;
}

/** Loads the saved build when it exists and is current for `islandFiles` and `dev`. Never throws. */
export async function loadSavedBuild(root: string, islandFiles: string[], dev: boolean): Promise<SavedBuild> {
  const dir = `${root}/${BUILD_DIR}`;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(`${dir}/${MANIFEST}`));
  } catch (e) {
    return { ok: false, reason: e instanceof Deno.errors.NotFound ? "no saved build" : `${e}` };
  }
  try {
    if (manifest.version !== 1 || manifest.dev !== dev) {
      return { ok: false, reason: "built for another mode" };
    }
    if (await fingerprint(root, manifest.inputs, islandFiles, dev) !== manifest.fingerprint) {
      return { ok: false, reason: "sources changed since the build" };
    }
    const files = new Map<string, BuiltFile>();
    for (const name of manifest.files) {
      files.set(BUILD_PREFIX + name, {
        contents: await Deno.readFile(`${dir}/${FILES_DIR}/${name}`),
        contentType: "text/javascript; charset=utf-8",
      });
    }
    return {
      ok: true,
      bundle: {
        files,
        bootUrl: manifest.bootUrl,
        islandUrls: new Map(Object.entries(manifest.islandUrls)),
        inputs: manifest.inputs,
      },
    };
  } catch (e) {
    // An input deleted since the build, or a damaged manifest: rebuild.
    return { ok: false, reason: `saved build unreadable: ${(e as Error).message}` };
  }
}
