import assert from "node:assert/strict";
import {
  HANDS_FREE_OFF,
  type HandsFreeEvent,
  type HandsFreeMachine,
  MAX_EMPTY_TURNS,
  transition,
} from "../../components/voice/hands_free.ts";

const at = (phase: HandsFreeMachine["phase"], emptyTurns = 0): HandsFreeMachine => ({
  phase,
  emptyTurns,
  notice: null,
});
const reply = { id: "m1", text: "Here is the answer." };

Deno.test("hands-free: off -> listening on start; other events do nothing while off", () => {
  assert.deepEqual(transition(HANDS_FREE_OFF, { type: "start" }), {
    state: at("listening"),
    effect: { kind: "listen" },
  });
  const ignored: HandsFreeEvent[] = [
    { type: "heard", text: "hi" },
    { type: "listen-failed", message: "x" },
    { type: "replied", reply },
    { type: "spoken" },
    { type: "stop" },
  ];
  for (const event of ignored) {
    assert.deepEqual(transition(HANDS_FREE_OFF, event), { state: HANDS_FREE_OFF, effect: { kind: "none" } });
  }
});

Deno.test("hands-free: listening -> thinking when words are heard (trimmed), sending them", () => {
  assert.deepEqual(transition(at("listening", 2), { type: "heard", text: "  what time is it \n" }), {
    state: at("thinking"),
    effect: { kind: "send", text: "what time is it" },
  });
});

Deno.test("hands-free: silence listens again, and ends after the third silent turn in a row", () => {
  let machine = transition(at("listening"), { type: "heard", text: "  " });
  assert.deepEqual(machine, { state: at("listening", 1), effect: { kind: "listen" } });
  machine = transition(machine.state, { type: "heard", text: "" });
  assert.deepEqual(machine, { state: at("listening", 2), effect: { kind: "listen" } });
  machine = transition(machine.state, { type: "heard", text: "" });
  assert.equal(MAX_EMPTY_TURNS, 3);
  assert.deepEqual(machine, {
    state: { phase: "off", emptyTurns: 0, notice: "Hands-free stopped: nothing was heard 3 times in a row." },
    effect: { kind: "release", stopReply: false },
  });
});

Deno.test("hands-free: a listening failure ends the mode with its sentence", () => {
  assert.deepEqual(
    transition(at("listening"), { type: "listen-failed", message: "No microphone was found." }),
    {
      state: { phase: "off", emptyTurns: 0, notice: "Hands-free stopped. No microphone was found." },
      effect: { kind: "release", stopReply: false },
    },
  );
});

Deno.test("hands-free: thinking -> speaking with a reply; -> listening without one or with an empty one", () => {
  assert.deepEqual(transition(at("thinking"), { type: "replied", reply }), {
    state: at("speaking"),
    effect: { kind: "speak", reply },
  });
  for (const r of [null, { id: "m2", text: "  " }]) {
    assert.deepEqual(transition(at("thinking"), { type: "replied", reply: r }), {
      state: at("listening"),
      effect: { kind: "listen" },
    });
  }
});

Deno.test("hands-free: speaking -> listening once the reply has been spoken", () => {
  assert.deepEqual(transition(at("speaking"), { type: "spoken" }), {
    state: at("listening"),
    effect: { kind: "listen" },
  });
});

Deno.test("hands-free: stop from every active phase releases; only thinking also stops the reply", () => {
  for (const phase of ["listening", "thinking", "speaking"] as const) {
    assert.deepEqual(transition(at(phase, 1), { type: "stop" }), {
      state: HANDS_FREE_OFF,
      effect: { kind: "release", stopReply: phase === "thinking" },
    });
  }
});

Deno.test("hands-free: events that do not belong to the phase change nothing", () => {
  const cases: [HandsFreeMachine, HandsFreeEvent][] = [
    [at("listening"), { type: "start" }],
    [at("listening"), { type: "replied", reply }],
    [at("listening"), { type: "spoken" }],
    [at("thinking"), { type: "start" }],
    [at("thinking"), { type: "heard", text: "hi" }],
    [at("thinking"), { type: "listen-failed", message: "x" }],
    [at("thinking"), { type: "spoken" }],
    [at("speaking"), { type: "start" }],
    [at("speaking"), { type: "heard", text: "hi" }],
    [at("speaking"), { type: "listen-failed", message: "x" }],
    [at("speaking"), { type: "replied", reply }],
  ];
  for (const [state, event] of cases) {
    assert.deepEqual(
      transition(state, event),
      { state, effect: { kind: "none" } },
      `${state.phase} + ${event.type}`,
    );
  }
});

Deno.test("hands-free: a whole conversation turn by turn", () => {
  const events: HandsFreeEvent[] = [
    { type: "start" },
    { type: "heard", text: "" },
    { type: "heard", text: "hello" },
    { type: "replied", reply },
    { type: "spoken" },
    { type: "heard", text: "thanks" },
    { type: "stop" },
  ];
  let state = HANDS_FREE_OFF;
  const trace: string[] = [];
  for (const event of events) {
    const next = transition(state, event);
    state = next.state;
    trace.push(`${state.phase}:${next.effect.kind}`);
  }
  assert.deepEqual(trace, [
    "listening:listen",
    "listening:listen",
    "thinking:send",
    "speaking:speak",
    "listening:listen",
    "thinking:send",
    "off:release",
  ]);
});
