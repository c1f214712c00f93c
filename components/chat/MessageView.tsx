/**
 * One message of the conversation: Markdown body, status badge (stopped / error), inline error
 * with Retry, the version switcher ("‹ 2 / 3 ›") and the action buttons (copy; speak on replies;
 * edit on user messages; edit the text of a reply; regenerate on replies; continue on a
 * stopped last reply). Re-renders only when its own props change, so a streaming reply re-renders alone.
 */
import { Component, type VNode } from "preact";
import { Markdown } from "../../lib/markdown/mod.ts";
import { MessageAttachments } from "./Attachments.tsx";
import { BranchSwitcher } from "./BranchSwitcher.tsx";
import { copyText, flashCopied } from "./clipboard.ts";
import type { ChatMessage } from "./types.ts";

/** What a message's buttons ask the app to do. */
export type MessageAction =
  /** A new version of `message` (a reply), or of the last reply when absent (Retry). */
  | { kind: "regenerate"; message?: ChatMessage }
  | { kind: "speak"; message: ChatMessage }
  | { kind: "edit-start"; message: ChatMessage }
  | { kind: "edit-cancel" }
  | { kind: "edit-save"; message: ChatMessage; content: string }
  | { kind: "continue"; message: ChatMessage }
  | { kind: "switch"; message: ChatMessage; targetId: string; direction: "previous" | "next" };

/** Props of {@link MessageView}. */
export interface MessageViewProps {
  message: ChatMessage;
  /** The last user message (its actions always show). */
  lastUser: boolean;
  /** The last reply (regenerable, retryable). */
  lastReply: boolean;
  /** A reply is streaming: actions that start another one are disabled. */
  busy: boolean;
  /** The inline editor is open on this message. */
  editing: boolean;
  /** The page is hydrated: the action buttons are rendered (they only work from then on). */
  ready: boolean;
  /** Replies can be read aloud (server or browser voice). */
  canSpeak?: boolean;
  /** Why they cannot (title of the disabled Speak button). */
  speakUnavailable?: string;
  /** This reply is being read aloud (the Speak button stops it). */
  speaking?: boolean;
  /** Stable callback for the buttons. */
  onAction: (action: MessageAction) => void;
}

function shallowEqual(a: object, b: object): boolean {
  const ka = Object.keys(a) as (keyof typeof a)[];
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The element id of a message's `<li>` (what `#m-<id>` links and focus requests name). */
export function messageElementId(messageId: string): string {
  return `m-${messageId}`;
}

/** Renders one message. */
export class MessageView extends Component<MessageViewProps> {
  override shouldComponentUpdate(next: MessageViewProps): boolean {
    return !shallowEqual(this.props, next);
  }

  override render(
    { message, lastUser, lastReply, busy, editing, ready, canSpeak, speakUnavailable, speaking, onAction }:
      MessageViewProps,
  ): VNode {
    const { role, status, content } = message;
    const who = role === "user" ? "You" : "Assistant";
    const streaming = status === "streaming";
    const copy = async (e: Event) => {
      const button = e.currentTarget as HTMLElement;
      if (await copyText(content)) flashCopied(button);
    };
    return (
      <li
        class={`message message-${role}`}
        id={messageElementId(message.id)}
        data-status={status}
        aria-busy={streaming ? "true" : undefined}
      >
        <div class="message-head">
          <span class="message-role">{who}</span>
          {status === "stopped" && <span class="badge badge-stopped">Stopped</span>}
          {status === "error" && <span class="badge badge-error">Error</span>}
          {message.usage && <UsageBadge usage={message.usage} />}
        </div>
        {editing
          ? <MessageEditor message={message} onAction={onAction} />
          : (
            <div class="message-body" dir="auto">
              <MessageAttachments items={message.attachments} />
              {content !== "" && <Markdown text={content} class={role === "user" ? "breaks" : undefined} />}
              {streaming && (
                <span class="typing" aria-label="Writing">{content === "" ? "Thinking…" : ""}</span>
              )}
            </div>
          )}
        {status === "error" && (
          <div class="message-error" role="alert">
            <span>{message.error ?? "The reply failed before it was finished."}</span>
            {lastReply && (
              <button
                type="button"
                class="button button-small retry"
                disabled={!ready || busy}
                onClick={() => onAction({ kind: "regenerate" })}
              >
                Retry
              </button>
            )}
          </div>
        )}
        {
          /* The row is rendered empty (CSS keeps its height) until the island is hydrated: its buttons
            only work then, and 200 messages' worth of disabled buttons were most of the page's bytes.
            The version switcher stays, since its count is content. */
        }
        {!editing && !streaming && (content !== "" || lastUser || (lastReply && status !== "error")) && (
          <div class="message-actions">
            {(message.siblingIds?.length ?? 0) > 1 && (
              <BranchSwitcher
                messageId={message.id}
                siblingIds={message.siblingIds!}
                noun={role === "user" ? "message" : "reply"}
                disabled={!ready || busy}
                onSwitch={(targetId, direction) => onAction({ kind: "switch", message, targetId, direction })}
              />
            )}
            {ready && content !== "" && (
              <button
                type="button"
                class="action copy-message"
                aria-label={`Copy ${role === "user" ? "your message" : "reply"}`}
                onClick={copy}
              >
                Copy
              </button>
            )}
            {ready && role === "assistant" && content !== "" && (
              <button
                type="button"
                class={speaking ? "action speak speaking" : "action speak"}
                aria-label={speaking ? "Stop reading the reply aloud" : "Speak the reply aloud"}
                aria-pressed={speaking ? "true" : "false"}
                title={canSpeak ? undefined : speakUnavailable}
                disabled={!canSpeak}
                onClick={() => onAction({ kind: "speak", message })}
              >
                {speaking ? "Stop" : "Speak"}
              </button>
            )}
            {ready && (role === "user" || (content !== "" && !message.id.startsWith("local-"))) && (
              <button
                type="button"
                class={role === "user" ? "action edit-message" : "action edit-reply"}
                aria-label={role === "user" ? "Edit your message" : "Edit the reply's text"}
                disabled={busy || message.id.startsWith("local-")}
                onClick={() => onAction({ kind: "edit-start", message })}
              >
                Edit
              </button>
            )}
            {ready && role === "assistant" && !(lastReply && status === "error") && (
              <button
                type="button"
                class="action regenerate"
                aria-label="Regenerate the reply"
                disabled={busy || message.id.startsWith("local-")}
                onClick={() => onAction({ kind: "regenerate", message })}
              >
                Regenerate
              </button>
            )}
            {ready && lastReply && status === "stopped" && (
              <button
                type="button"
                class="action continue-reply"
                aria-label="Continue the reply"
                disabled={busy}
                onClick={() => onAction({ kind: "continue", message })}
              >
                Continue
              </button>
            )}
          </div>
        )}
      </li>
    );
  }
}

/**
 * Inline editor: for a user message Enter saves and sends (a new version, answered again); for a
 * reply (Markdown, often several lines) Ctrl/Cmd+Enter saves the text as a new version and Enter is a
 * newline. Shift+Enter newline, Esc cancels.
 */
function MessageEditor({ message, onAction }: Pick<MessageViewProps, "message" | "onAction">): VNode {
  const save = (form: HTMLFormElement) => {
    const text = (form.elements.namedItem("content") as HTMLTextAreaElement).value;
    if (text.trim() !== "") onAction({ kind: "edit-save", message, content: text });
  };
  return (
    <form
      class="message-editor"
      onSubmit={(e) => {
        e.preventDefault();
        save(e.currentTarget);
      }}
    >
      <textarea
        name="content"
        class="editor-input"
        aria-label={message.role === "user" ? "Edit your message" : "Edit the reply's text"}
        dir="auto"
        rows={message.role === "user" ? 3 : 8}
        defaultValue={message.content}
        ref={(el) => el?.focus()}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            e.stopPropagation();
            onAction({ kind: "edit-cancel" });
          } else if (
            e.key === "Enter" && !e.shiftKey && !e.isComposing &&
            (message.role === "user" || e.ctrlKey || e.metaKey)
          ) {
            e.preventDefault();
            save(e.currentTarget.form!);
          }
        }}
      />
      <div class="editor-actions">
        <button type="button" class="button" onClick={() => onAction({ kind: "edit-cancel" })}>Cancel</button>
        <button type="submit" class="button button-primary">
          {message.role === "user" ? "Save and send" : "Save as new version"}
        </button>
      </div>
    </form>
  );
}

/** Tokens of one reply: the total, with the prompt/reply split in the tooltip (visible on hover or focus). */
function UsageBadge({ usage }: { usage: NonNullable<ChatMessage["usage"]> }): VNode {
  const prompt = usage.promptTokens ?? 0;
  const reply = usage.completionTokens ?? 0;
  return (
    <span
      class="message-usage"
      title={`${prompt.toLocaleString("en")} prompt tokens + ${reply.toLocaleString("en")} reply tokens`}
    >
      {(prompt + reply).toLocaleString("en")} tokens
    </span>
  );
}
