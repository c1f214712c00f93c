/**
 * Incremental markdown parsing for a streaming reply: when the new text extends the previous one, only
 * the blocks that the appended characters can still change are parsed again, so the cost per token does
 * not grow with the reply's length.
 *
 * Why a prefix of blocks is final: the block parser reads a document top to bottom, and a top-level block
 * is decided by its own lines plus the first non-blank line after it (which starts the next block) and the
 * line after that one (a paragraph ends where a table starts, and a table needs its delimiter row). Once
 * both of those lines are complete (followed by a newline), appending text cannot change any line the
 * earlier block's decision read, so the earlier block, and everything before it, is final. Only the last
 * blocks are parsed again. Text that does not extend the previous text (an edit, a new message) is parsed
 * from scratch.
 */
import type { Block } from "./ast.ts";
import { parseTopLevel } from "./parse.ts";

/** Line starts (character offsets) of `text`, and how many of its lines are complete. */
function lineStarts(text: string): { lines: string[]; starts: number[]; complete: number } {
  const lines: string[] = [], starts: number[] = [];
  const re = /\r\n|\r|\n/g;
  let at = 0, complete = -1;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    // A lone "\r" at the very end ends a line (as in parseMarkdown) but may still become "\r\n": that
    // line does not count as complete yet.
    if (m[0] === "\r" && m.index + 1 === text.length) complete = lines.length;
    starts.push(at);
    lines.push(text.slice(at, m.index));
    at = m.index + m[0].length;
  }
  if (complete < 0) complete = lines.length;
  starts.push(at);
  lines.push(text.slice(at));
  return { lines, starts, complete };
}

/**
 * Parses a growing text: after {@link IncrementalMarkdown.update}, `blocks` equals `parseMarkdown(text)`;
 * `finalBlocks` and `tailBlocks` split it into the part that can no longer change and the rest.
 */
export class IncrementalMarkdown {
  #text = "";
  /** Final blocks (never change while the text keeps growing). */
  #final: Block[] = [];
  /** Character offset in `#text` where the first non-final block's line starts. */
  #cut = 0;
  /** Blocks from `#cut` on, as of the last update. */
  #tail: Block[] = [];
  #all: Block[] | null = [];

  /** Number of blocks that are final (a renderer may keep their output). */
  get finalCount(): number {
    return this.#final.length;
  }

  /** The final blocks (the same array until a reset; it only grows). */
  get finalBlocks(): readonly Block[] {
    return this.#final;
  }

  /** The blocks after the final ones, as of the last update. */
  get tailBlocks(): readonly Block[] {
    return this.#tail;
  }

  /** All blocks of the last text: equal to `parseMarkdown(text)` (built on demand). */
  get blocks(): Block[] {
    return (this.#all ??= this.#final.concat(this.#tail));
  }

  /**
   * Takes the current text (usually the previous one plus a token) and parses what it can change. The
   * only per-call work that grows with the text is one comparison with the previous text (a memcmp).
   */
  update(text: string): this {
    if (text === this.#text && this.#text !== "") return this;
    // `slice + ===` compares flat strings with memcmp; `startsWith` walks characters one by one (40× slower
    // on a 100 KB reply in V8).
    const prev = this.#text;
    if (text.length < prev.length || text.slice(0, prev.length) !== prev) {
      this.#final = [];
      this.#cut = 0;
    }
    this.#text = text;
    const tail = text.slice(this.#cut);
    const { lines, starts: lineAt, complete } = lineStarts(tail);
    const { blocks, starts } = parseTopLevel(lines);
    // Block m is final when block m + 1's first two lines are complete (see the module comment).
    let keep = 0;
    while (keep + 1 < blocks.length && starts[keep + 1] + 1 < complete) keep++;
    if (keep > 0) {
      this.#final.push(...blocks.slice(0, keep));
      this.#cut += lineAt[starts[keep]];
    }
    this.#tail = blocks.slice(keep);
    this.#all = null;
    return this;
  }
}
