/**
 * Markdown for chat messages: `parseMarkdown` (text -> typed tree), `Markdown` / `renderMarkdown`
 * (tree -> Preact VNodes, safe by construction) and `highlight` (code -> typed tokens).
 * Isomorphic: depends only on preact, so it runs in server rendering and inside islands.
 *
 * ```tsx
 * import { Markdown } from "../lib/markdown/mod.ts";
 * <Markdown text={reply} />
 * ```
 */
export type { Align, Block, Inline, ListItem } from "./ast.ts";
export { parseMarkdown } from "./parse.ts";
export { IncrementalMarkdown } from "./incremental.ts";
export { parseInline, plainText } from "./inline.ts";
export { Markdown, type MarkdownProps, renderBlocks, renderInlines, renderMarkdown } from "./render.tsx";
export { highlight, supportsLanguage, type Token, type TokenType } from "./highlight.ts";
export { safeHref } from "./url.ts";
