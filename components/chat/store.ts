/**
 * A minimal store around a pure reducer: `getState` always returns the current state, `dispatch`
 * applies an action synchronously and tells subscribers when the state changed.
 *
 * Why not `useReducer` alone: its state is only visible to a render, while the chat's effects (a
 * reply stream's callbacks, the voice hook, document listeners) run later and need the state as it
 * is then. Reading it from the store replaces the hand-kept `latest` ref copy the island had.
 * `useStore` re-renders the component on each change (with a `useReducer` counter).
 */
import { useLayoutEffect, useReducer } from "preact/hooks";

/** State, dispatch and change notification of one reducer. */
export interface Store<S, A> {
  getState(): S;
  dispatch(action: A): void;
  /** Calls `listener` after each change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** A store holding `initial`, changed only through `reducer`. */
export function createStore<S, A>(reducer: (state: S, action: A) => S, initial: S): Store<S, A> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = reducer(state, action);
      if (next === state) return;
      state = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The store's current state; the component re-renders when it changes. */
export function useStore<S, A>(store: Store<S, A>): S {
  const [, changed] = useReducer((n: number) => n + 1, 0);
  useLayoutEffect(() => store.subscribe(() => changed(undefined)), [store]);
  return store.getState();
}
