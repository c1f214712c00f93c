/**
 * Renders the markdown syntax tree as Preact VNodes. Safe by construction: every string becomes a
 * text node or an attribute value that Preact escapes; hrefs pass `safeHref` or the link is shown
 * as text; images become links to the image (never `<img>`); code-fence languages only reach a
 * class name after being reduced to `[a-z0-9_+#.-]`. Runs the same on the server and in islands.
 */
import { Component, type ComponentChildren, type VNode } from "preact";
import { useRef } from "preact/hooks";
import type { Align, Block, Inline, ListItem } from "./ast.ts";
import { highlight, type Token } from "./highlight.ts";
import { IncrementalMarkdown } from "./incremental.ts";
import { parseMarkdown } from "./parse.ts";
import { safeHref } from "./url.ts";

/** Props of `<Markdown>`. */
export interface MarkdownProps {
  /** Markdown source; may be unfinished (a reply still streaming). */
  text: string;
  /** Extra class names for the wrapping `<div class="markdown">`. */
  class?: string;
}

/**
 * Renders markdown text inside `<div class="markdown">` as a component. While the text grows (a reply
 * streaming), an {@link IncrementalMarkdown} parses only the blocks the new characters can change, and the
 * final blocks sit in a component that re-renders only when more of them become final, so the work per
 * token does not grow with the reply. The HTML is the same as {@link renderMarkdown}'s.
 */
export function Markdown({ text, class: extra }: MarkdownProps): VNode {
  const ref = useRef<IncrementalMarkdown | null>(null);
  const parser = (ref.current ??= new IncrementalMarkdown());
  parser.update(text);
  return (
    <div class={extra ? `markdown ${extra}` : "markdown"}>
      <FinalBlocks blocks={parser.finalBlocks} count={parser.finalCount} />
      {renderBlocks(parser.tailBlocks as Block[])}
    </div>
  );
}

/** The final blocks of a streaming text; `blocks` only grows, so `count` says when to render again. */
class FinalBlocks extends Component<{ blocks: readonly Block[]; count: number }> {
  override shouldComponentUpdate(next: { blocks: readonly Block[]; count: number }): boolean {
    return next.count !== this.props.count || next.blocks !== this.props.blocks;
  }

  override render(): ComponentChildren {
    return renderBlocks(this.props.blocks.slice(0, this.props.count));
  }
}

/** The markdown as one VNode tree without components or state (parses the whole text). */
export function renderMarkdown(text: string): VNode {
  return <div class="markdown">{renderBlocks(parseMarkdown(text))}</div>;
}

/** Renders already-parsed blocks (without the wrapper div). */
export function renderBlocks(blocks: Block[], tight = false): ComponentChildren[] {
  return blocks.map((block) => renderBlock(block, tight));
}

function renderBlock(block: Block, tight: boolean): ComponentChildren {
  switch (block.type) {
    case "heading": {
      const Tag = `h${block.level}` as const;
      return <Tag>{renderInlines(block.children)}</Tag>;
    }
    case "paragraph":
      return tight ? renderInlines(block.children) : <p>{renderInlines(block.children)}</p>;
    case "code":
      return <CodeBlock lang={block.lang} text={block.text} closed={block.closed} />;
    case "blockquote":
      return <blockquote>{renderBlocks(block.children)}</blockquote>;
    case "list": {
      const items = block.items.map((item) => renderItem(item, !block.loose));
      if (!block.ordered) return <ul>{items}</ul>;
      return <ol start={block.start === 1 ? undefined : block.start}>{items}</ol>;
    }
    case "table":
      return (
        <div class="table-wrap" role="region" aria-label="Table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                {block.head.map((cell, c) => (
                  <th key={c} class={alignClass(block.align[c])}>{renderInlines(cell)}</th>
                ))}
              </tr>
            </thead>
            {block.rows.length > 0 && (
              <tbody>
                {block.rows.map((row, r) => (
                  <tr key={r}>
                    {row.map((cell, c) => (
                      <td key={c} class={alignClass(block.align[c])}>{renderInlines(cell)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            )}
          </table>
        </div>
      );
    case "hr":
      return <hr />;
  }
}

function renderItem(item: ListItem, tight: boolean): VNode {
  const body = renderBlocks(item.children, tight);
  if (item.checked === null) return <li>{body}</li>;
  return (
    <li class="task-item">
      <input
        type="checkbox"
        disabled
        checked={item.checked}
        aria-label={item.checked ? "Done" : "Not done"}
      />
      {body}
    </li>
  );
}

function alignClass(align: Align): string | undefined {
  return align ? `align-${align}` : undefined;
}

/** Renders inline nodes; inside a link (`inLink`) images degrade to their alt text. */
export function renderInlines(nodes: Inline[], inLink = false): ComponentChildren[] {
  return nodes.map((node) => renderInline(node, inLink));
}

function renderInline(node: Inline, inLink: boolean): ComponentChildren {
  switch (node.type) {
    case "text":
      return node.value;
    case "inlineCode":
      return <code>{node.value}</code>;
    case "em":
      return <em>{renderInlines(node.children, inLink)}</em>;
    case "strong":
      return <strong>{renderInlines(node.children, inLink)}</strong>;
    case "del":
      return <del>{renderInlines(node.children, inLink)}</del>;
    case "break":
      return <br />;
    case "link": {
      const href = inLink ? null : safeHref(node.href);
      const children = renderInlines(node.children, true);
      if (href === null) return children;
      return (
        <a href={href} title={node.title} rel="noopener noreferrer" target="_blank">
          {children}
        </a>
      );
    }
    case "image": {
      const href = inLink ? null : safeHref(node.src);
      const alt = node.alt || "image";
      if (href === null) return alt;
      return (
        <a class="image-link" href={href} title={node.title} rel="noopener noreferrer" target="_blank">
          {alt}
        </a>
      );
    }
  }
}

interface CodeBlockProps {
  lang: string;
  text: string;
  closed: boolean;
}

/**
 * A fenced code block: header with the language and a copy button (behavior attached by the
 * island through `button.copy-code[data-copy]`), then highlighted code. An unclosed fence gets
 * the extra class `code-open`.
 */
function CodeBlock({ lang, text, closed }: CodeBlockProps): VNode {
  const name = lang.toLowerCase().replace(/[^a-z0-9_+#.-]/g, "").slice(0, 32);
  const tokens = closed ? highlightCached(text, name) : highlight(text, name);
  return (
    <div class={closed ? "code-block" : "code-block code-open"}>
      <div class="code-header">
        <span class="code-lang">{name || "text"}</span>
        <button type="button" class="copy-code" data-copy="" aria-label="Copy code">Copy</button>
      </div>
      <pre
        tabIndex={0}
      ><code class={name ? `language-${name}` : undefined}>{tokens.map(renderToken)}</code></pre>
    </div>
  );
}

function renderToken(token: Token): ComponentChildren {
  return token.type ? <span class={`tok-${token.type}`}>{token.text}</span> : token.text;
}

// Closed code blocks stay identical while the rest of a reply streams: highlight them once.
const CACHE_SIZE = 64;
const cache = new Map<string, Token[]>();

function highlightCached(text: string, lang: string): Token[] {
  const key = lang + "\u0000" + text;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const tokens = highlight(text, lang);
  cache.set(key, tokens);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return tokens;
}
