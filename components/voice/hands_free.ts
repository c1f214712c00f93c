/**
 * The hands-free conversation as an explicit state machine: listen → think (send what was heard) →
 * speak the reply → listen again, until stopped, after too many silent turns, or when listening
 * fails. Pure: `transition` returns the next state and the one effect to run; the `useVoice` hook
 * runs the effects (microphone, send, speech) and feeds their outcomes back as events.
 */

/** What the hands-free mode is doing (what the badge shows). */
export type HandsFreePhase = "off" | "listening" | "thinking" | "speaking";

/** A reply to read aloud. */
export interface HandsFreeReply {
  id: string;
  text: string;
}

/** The machine's state. */
export interface HandsFreeMachine {
  phase: HandsFreePhase;
  /** Turns in a row in which nothing was heard. */
  emptyTurns: number;
  /** Why the mode ended on its own (shown in the composer's notice line), else null. */
  notice: string | null;
}

/** What happened (from the person, the microphone, the chat or the speaker). */
export type HandsFreeEvent =
  | { type: "start" }
  | { type: "heard"; text: string }
  | { type: "listen-failed"; message: string }
  | { type: "replied"; reply: HandsFreeReply | null }
  | { type: "spoken" }
  | { type: "stop" };

/** The one thing to do after a transition. */
export type HandsFreeEffect =
  | { kind: "listen" }
  | { kind: "send"; text: string }
  | { kind: "speak"; reply: HandsFreeReply }
  /** Release the microphone and the speaker; `stopReply` also stops the reply being written. */
  | { kind: "release"; stopReply: boolean }
  | { kind: "none" };

/** Silent turns in a row after which hands-free ends. */
export const MAX_EMPTY_TURNS = 3;

/** The machine before it starts. */
export const HANDS_FREE_OFF: HandsFreeMachine = { phase: "off", emptyTurns: 0, notice: null };

const NONE: HandsFreeEffect = { kind: "none" };

/** The next state and effect for `event` in `state`; events that do not apply leave the state as it is. */
export function transition(
  state: HandsFreeMachine,
  event: HandsFreeEvent,
): { state: HandsFreeMachine; effect: HandsFreeEffect } {
  const listening = (emptyTurns: number) => ({
    state: { phase: "listening" as const, emptyTurns, notice: null },
    effect: { kind: "listen" } as const,
  });
  const ended = (notice: string | null, stopReply = false) => ({
    state: { phase: "off" as const, emptyTurns: 0, notice },
    effect: { kind: "release", stopReply } as const,
  });
  if (event.type === "stop") {
    return state.phase === "off" ? { state, effect: NONE } : ended(null, state.phase === "thinking");
  }
  switch (state.phase) {
    case "off":
      return event.type === "start" ? listening(0) : { state, effect: NONE };
    case "listening":
      if (event.type === "listen-failed") return ended(`Hands-free stopped. ${event.message}`);
      if (event.type !== "heard") break;
      if (event.text.trim() !== "") {
        return {
          state: { phase: "thinking", emptyTurns: 0, notice: null },
          effect: { kind: "send", text: event.text.trim() },
        };
      }
      return state.emptyTurns + 1 >= MAX_EMPTY_TURNS
        ? ended(`Hands-free stopped: nothing was heard ${MAX_EMPTY_TURNS} times in a row.`)
        : listening(state.emptyTurns + 1);
    case "thinking":
      if (event.type !== "replied") break;
      if (event.reply && event.reply.text.trim() !== "") {
        return { state: { ...state, phase: "speaking" }, effect: { kind: "speak", reply: event.reply } };
      }
      return listening(0);
    case "speaking":
      if (event.type === "spoken") return listening(0);
      break;
  }
  return { state, effect: NONE };
}
