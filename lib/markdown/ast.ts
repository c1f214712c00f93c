/**
 * The small typed syntax tree that `parseMarkdown` produces and `renderBlocks` consumes.
 * Hrefs are stored as written (unescaped, entities decoded); the renderer decides which are safe.
 */

/** Column alignment of a GFM table, from its delimiter row. */
export type Align = "left" | "center" | "right" | null;

/** A block-level node. */
export type Block =
  | { type: "heading"; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { type: "paragraph"; children: Inline[] }
  /** `closed` is false for a fence that has not ended yet (a reply still streaming). */
  | { type: "code"; lang: string; text: string; closed: boolean }
  | { type: "blockquote"; children: Block[] }
  | { type: "list"; ordered: boolean; start: number; loose: boolean; items: ListItem[] }
  | { type: "table"; align: Align[]; head: Inline[][]; rows: Inline[][][] }
  | { type: "hr" };

/** One list item; `checked` is null unless the item starts with a task box `[ ]` or `[x]`. */
export interface ListItem {
  checked: boolean | null;
  children: Block[];
}

/** An inline (phrasing) node. */
export type Inline =
  | { type: "text"; value: string }
  | { type: "inlineCode"; value: string }
  | { type: "em" | "strong" | "del"; children: Inline[] }
  | { type: "link"; href: string; title?: string; children: Inline[] }
  | { type: "image"; src: string; alt: string; title?: string }
  | { type: "break" };
