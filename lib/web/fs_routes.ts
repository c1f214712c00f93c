/**
 * Which file names mean what under `routes/` (Fresh's conventions), as pure functions over
 * relative paths so they can be tested without touching the disk:
 *
 * - `index.tsx` serves its folder; `about.tsx` serves `/about`;
 * - `[id].tsx` captures one segment (`params.id`); `[...rest].tsx` captures the rest (may be empty
 *   only when it is the whole path below its folder, never across `/` boundaries it cannot see);
 * - `(group)/` folders organize files without adding a path segment;
 * - `_app.tsx`, `_layout.tsx`, `_middleware.ts`, `_404.tsx`, `_500.tsx` are special; other names that
 *   start with `_` or end in `_test.ts`/`.test.ts` are ignored.
 */

/** Extensions a route module may have. */
export const ROUTE_EXTENSIONS = [".tsx", ".ts", ".jsx", ".js"] as const;

/** One segment of a route pattern. */
export type Segment =
  | { kind: "static"; value: string }
  | { kind: "param"; name: string }
  | { kind: "rest"; name: string };

/** A classified file under `routes/`. */
export type RouteFile =
  | { kind: "route"; file: string; segments: Segment[] }
  | { kind: "middleware" | "layout"; file: string; dir: Segment[] }
  | { kind: "app" | "notFound" | "error"; file: string };

const SPECIAL: Record<string, "middleware" | "layout" | "app" | "notFound" | "error"> = {
  _middleware: "middleware",
  _layout: "layout",
  _app: "app",
  _404: "notFound",
  _500: "error",
};

/** Classifies one path relative to `routes/` (with `/` separators); null when it is not a route file. */
export function classifyRouteFile(relPath: string): RouteFile | null {
  const ext = ROUTE_EXTENSIONS.find((e) => relPath.endsWith(e));
  if (!ext || /[._]test\.[jt]sx?$/.test(relPath)) return null;
  const parts = relPath.slice(0, -ext.length).split("/");
  const name = parts.pop()!;
  const dir = parts.flatMap(parseSegment);
  const special = SPECIAL[name];
  if (special === "middleware" || special === "layout") return { kind: special, file: relPath, dir };
  if (special) return parts.length === 0 ? { kind: special, file: relPath } : null;
  if (name.startsWith("_")) return null;
  const segments = name === "index" ? dir : [...dir, ...parseSegment(name)];
  const restAt = segments.findIndex((s) => s.kind === "rest");
  if (restAt !== -1 && restAt !== segments.length - 1) {
    throw new Error(`routes/${relPath}: a [...rest] segment must be the last one`);
  }
  return { kind: "route", file: relPath, segments };
}

function parseSegment(part: string): Segment[] {
  if (/^\(.+\)$/.test(part)) return []; // route group
  const rest = /^\[\.\.\.([A-Za-z_][A-Za-z0-9_]*)\]$/.exec(part);
  if (rest) return [{ kind: "rest", name: rest[1] }];
  const param = /^\[([A-Za-z_][A-Za-z0-9_]*)\]$/.exec(part);
  if (param) return [{ kind: "param", name: param[1] }];
  if (/[\[\]]/.test(part)) throw new Error(`unsupported route segment "${part}"`);
  return [{ kind: "static", value: part }];
}

/** The Hono path for a list of segments: `[id]` -> `:id`, `[...rest]` -> `:rest{.+}`. */
export function toHonoPath(segments: Segment[]): string {
  if (segments.length === 0) return "/";
  return "/" +
    segments.map((s) =>
      s.kind === "static" ? encodeURIComponent(s.value) : s.kind === "param" ? `:${s.name}` : `:${s.name}{.+}`
    ).join("/");
}

/** Whether `prefix` (a folder's segments) contains the route `segments` (used for middleware/layout scope). */
export function isUnder(prefix: Segment[], segments: Segment[]): boolean {
  if (prefix.length > segments.length) return false;
  return prefix.every((p, i) => sameSegment(p, segments[i]));
}

function sameSegment(a: Segment, b: Segment): boolean {
  if (a.kind !== b.kind) return false;
  return a.kind === "static" ? a.value === (b as { value: string }).value : true;
}

/**
 * Orders routes so the most specific one is registered first: per segment, static beats
 * `[param]` beats `[...rest]`; on a tie the longer route wins.
 */
export function compareSpecificity(a: Segment[], b: Segment[]): number {
  const rank = (s: Segment | undefined) =>
    s === undefined ? 0 : s.kind === "static" ? 3 : s.kind === "param" ? 2 : 1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = rank(b[i]) - rank(a[i]);
    if (d !== 0) return d;
  }
  return 0;
}

/** Lists every file under `dir` as relative `/`-separated paths, sorted. */
export async function crawl(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string) {
    for await (const entry of Deno.readDir(rel ? `${dir}/${rel}` : dir)) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) out.push(path);
    }
  }
  await walk("");
  return out.sort();
}
