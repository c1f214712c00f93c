/** Test helpers: render markdown to an HTML string and inspect the tags it contains. */
import { renderToString } from "preact-render-to-string";
import { renderMarkdown } from "../../lib/markdown/mod.ts";

/** Renders markdown and strips the `<div class="markdown">` wrapper. */
export function md(text: string): string {
  const html = renderToString(renderMarkdown(text));
  const open = '<div class="markdown">';
  if (!html.startsWith(open) || !html.endsWith("</div>")) throw new Error(`unexpected wrapper: ${html}`);
  return html.slice(open.length, -"</div>".length);
}

/** One start tag found in rendered HTML, with its attributes (values entity-decoded). */
export interface Tag {
  name: string;
  attrs: Map<string, string>;
}

const VOID = new Set(["br", "hr", "input"]);

/**
 * Scans rendered HTML into start tags and checks that tags nest properly. Preact escapes `<` in
 * text and `"` in attribute values, so every `<` in its output starts a real tag.
 */
export function scanTags(html: string): Tag[] {
  const tags: Tag[] = [];
  const stack: string[] = [];
  const tagRe = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[^\s=/>]+(?:="[^"]*")?)*)\s*(\/?)>/g;
  let last = 0;
  for (const m of html.matchAll(tagRe)) {
    if (html.slice(last, m.index).includes("<")) throw new Error(`stray "<" before ${m[0]} in ${html}`);
    last = m.index + m[0].length;
    const [, closing, rawName, rawAttrs, selfClosing] = m;
    const name = rawName.toLowerCase();
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}> in ${html}`);
      continue;
    }
    const attrs = new Map<string, string>();
    for (const a of rawAttrs.matchAll(/\s+([^\s=/>]+)(?:="([^"]*)")?/g)) {
      attrs.set(a[1].toLowerCase(), decode(a[2] ?? ""));
    }
    tags.push({ name, attrs });
    if (!VOID.has(name) && !selfClosing) stack.push(name);
  }
  if (html.slice(last).includes("<")) throw new Error(`stray "<" at the end of ${html}`);
  if (stack.length > 0) throw new Error(`unclosed <${stack.join("> <")}> in ${html}`);
  return tags;
}

function decode(value: string): string {
  return value.replace(/&(?:#(\d+)|#x([\da-f]+)|(amp|quot|lt|gt|apos));/gi, (_, dec, hex, name) => {
    if (dec) return String.fromCodePoint(parseInt(dec, 10));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return { amp: "&", quot: '"', lt: "<", gt: ">", apos: "'" }[name.toLowerCase() as "amp"];
  });
}

/** Elements and attributes the renderer may produce. */
export const ALLOWED: Record<string, string[]> = {
  // A scrollable table wrapper is a labelled, focusable region (keyboard scrolling, axe-core).
  div: ["class", "role", "aria-label", "tabindex"],
  p: [],
  h1: [],
  h2: [],
  h3: [],
  h4: [],
  h5: [],
  h6: [],
  em: [],
  strong: [],
  del: [],
  code: ["class"],
  pre: ["tabindex"],
  span: ["class"],
  button: ["type", "class", "data-copy", "aria-label"],
  a: ["href", "title", "rel", "target", "class"],
  br: [],
  hr: [],
  ul: [],
  ol: ["start"],
  li: ["class"],
  blockquote: [],
  table: [],
  thead: [],
  tbody: [],
  tr: [],
  th: ["class"],
  td: ["class"],
  input: ["type", "disabled", "checked", "aria-label"],
};

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/** Every way rendered HTML breaks the safety contract; empty when it is safe. */
export function violations(html: string): string[] {
  const problems: string[] = [];
  let tags: Tag[];
  try {
    tags = scanTags(html);
  } catch (e) {
    return [(e as Error).message];
  }
  for (const { name, attrs } of tags) {
    const allowed = ALLOWED[name];
    if (!allowed) {
      problems.push(`element <${name}>`);
      continue;
    }
    for (const [attr, value] of attrs) {
      if (!allowed.includes(attr)) problems.push(`attribute ${attr} on <${name}>`);
      if (attr.startsWith("on")) problems.push(`event handler ${attr}`);
      if (attr === "class" && !/^[\w -]*$/.test(value)) problems.push(`class "${value}"`);
    }
    if (name === "a") {
      const href = attrs.get("href") ?? "";
      const protocol = new URL(href, "https://relative.invalid/").protocol;
      if (!SAFE_PROTOCOLS.has(protocol)) problems.push(`href ${href}`);
      if (attrs.get("rel") !== "noopener noreferrer" || attrs.get("target") !== "_blank") {
        problems.push(`link without rel/target: ${href}`);
      }
    }
    if (name === "input" && (attrs.get("type") !== "checkbox" || !attrs.has("disabled"))) {
      problems.push("enabled or non-checkbox input");
    }
    if (name === "button" && attrs.get("type") !== "button") problems.push("button without type=button");
  }
  return problems;
}
