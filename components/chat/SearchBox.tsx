/**
 * Search across the session's conversations (titles and message text): results appear while the
 * user types (debounced, every word matched as a prefix), with the matching words marked. A result
 * links to `/c/:id#m-<messageId>`, which opens the conversation scrolled to that message and
 * highlighted. Snippets arrive as text segments and are rendered as text, so nothing in a message
 * can become markup.
 */
import type { VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { searchConversations, type SearchResult } from "./api.ts";

/** Wait after the last keystroke before searching (ms). */
export const SEARCH_DEBOUNCE_MS = 200;

/** Props of {@link SearchBox}. */
export interface SearchBoxProps {
  /** The page is hydrated. */
  ready: boolean;
}

type State =
  | { kind: "idle" }
  | { kind: "loading" }
  | { kind: "done"; query: string; results: SearchResult[] }
  | { kind: "error"; message: string };

/** The search field and its results. */
export function SearchBox({ ready }: SearchBoxProps): VNode {
  const [text, setText] = useState("");
  const [state, setState] = useState<State>({ kind: "idle" });
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const inflight = useRef<AbortController | null>(null);

  useEffect(() => () => {
    clearTimeout(timer.current);
    inflight.current?.abort();
  }, []);

  const run = async (query: string) => {
    inflight.current?.abort();
    const controller = new AbortController();
    inflight.current = controller;
    try {
      const results = await searchConversations(query, controller.signal);
      if (!controller.signal.aborted) setState({ kind: "done", query, results });
    } catch (error) {
      if (!controller.signal.aborted) {
        setState({ kind: "error", message: error instanceof Error ? error.message : String(error) });
      }
    }
  };

  const onInput = (value: string) => {
    setText(value);
    clearTimeout(timer.current);
    if (value.trim() === "") {
      inflight.current?.abort();
      setState({ kind: "idle" });
      return;
    }
    setState((s) => s.kind === "done" ? s : { kind: "loading" });
    timer.current = setTimeout(() => run(value), SEARCH_DEBOUNCE_MS);
  };

  const status = state.kind === "done"
    ? state.results.length === 0
      ? `No results for “${state.query}”.`
      : `${state.results.length} result${state.results.length === 1 ? "" : "s"}`
    : state.kind === "error"
    ? `Search failed: ${state.message}`
    : state.kind === "loading"
    ? "Searching…"
    : "";

  return (
    <div class="search-box">
      <input
        type="search"
        class="search-input"
        placeholder="Search messages"
        aria-label="Search messages and titles"
        aria-describedby="search-status"
        maxLength={200}
        disabled={!ready}
        value={text}
        onInput={(e) => onInput(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape" && text !== "") {
            e.preventDefault();
            e.stopPropagation();
            onInput("");
          }
        }}
      />
      <p id="search-status" class="search-status" role="status" aria-live="polite">{status}</p>
      {state.kind === "done" && state.results.length > 0 && (
        <ul class="search-results" aria-label="Search results">
          {state.results.map((r) => (
            <li key={`${r.conversationId}/${r.messageId ?? "title"}`} class="search-result">
              <a
                class="search-result-link"
                href={`/c/${r.conversationId}${r.messageId ? `#m-${r.messageId}` : ""}`}
              >
                <span class="search-result-title">
                  <Marked segments={r.title} />
                  {r.archived && <span class="search-result-badge">archived</span>}
                </span>
                {r.messageId && (
                  <span class="search-result-snippet">
                    <span class="visually-hidden">{r.role === "user" ? "You: " : "Assistant: "}</span>
                    <Marked segments={r.snippet} />
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Text with the matching words in `<mark>`; every piece is a text node. */
function Marked({ segments }: { segments: SearchResult["snippet"] }): VNode {
  return <>{segments.map((s, i) => s.mark ? <mark key={i}>{s.text}</mark> : s.text)}</>;
}
