/**
 * Islands: components from `islands/` that are rendered on the server like any other component,
 * wrapped in an `<mc-island>` marker, and hydrated in the browser with their JSON-serialized props.
 *
 * During server rendering Preact's internal before-diff hook (`options.__b`, the one Fresh uses)
 * swaps an island's component for {@link IslandMarker} just before it renders, which records the
 * island and its props. Render time, not creation time, matters: a page may build its vnodes
 * before the render starts. Islands nested inside another
 * island's render tree are left alone: the outer island hydrates them as plain components.
 */
import { type ComponentType, h, isValidElement, options, type VNode } from "preact";

/** An exported island component: which file, which export. */
export interface IslandRef {
  /** File name relative to `islands/`, e.g. `Counter.tsx`. */
  file: string;
  /** Export name (`default` for the default export). */
  exportName: string;
}

/** One island instance on a rendered page. */
export interface IslandInstance extends IslandRef {
  id: number;
  props: Record<string, unknown>;
}

const registry = new Map<ComponentType<never>, IslandRef>();
let collector: IslandInstance[] | null = null;
let insideIsland = 0;

/** Registers every function export of an island module. */
export function registerIslandModule(file: string, mod: Record<string, unknown>): void {
  for (const [exportName, value] of Object.entries(mod)) {
    if (typeof value === "function") registry.set(value as ComponentType<never>, { file, exportName });
  }
}

interface MarkerProps {
  island: IslandRef;
  component: ComponentType<Record<string, unknown>>;
  props: Record<string, unknown>;
}

function IslandMarker({ island, component, props }: MarkerProps): VNode {
  const id = collector!.length;
  collector!.push({ ...island, id, props: serializableProps(island, props) });
  insideIsland++;
  const inner = h(component, props);
  return h("mc-island", { "data-id": String(id) } as Record<string, string>, inner) as unknown as VNode;
}

type HookedOptions = typeof options & { __b?: (vnode: VNode) => void };
const hooked = options as HookedOptions;
const previousBeforeDiff = hooked.__b;
hooked.__b = (vnode: VNode) => {
  if (collector && insideIsland === 0 && typeof vnode.type === "function") {
    const island = registry.get(vnode.type as ComponentType<never>);
    if (island) {
      const { key: _key, ...props } = vnode.props as Record<string, unknown>;
      const markerProps: MarkerProps = {
        island,
        component: vnode.type as ComponentType<Record<string, unknown>>,
        props,
      };
      (vnode as { type: unknown }).type = IslandMarker;
      (vnode as { props: unknown }).props = markerProps;
    }
  }
  previousBeforeDiff?.(vnode);
};

const previousDiffed = options.diffed;
options.diffed = (vnode: VNode) => {
  if (vnode.type === IslandMarker) insideIsland--;
  previousDiffed?.(vnode);
};

/** Runs a synchronous render while collecting the islands it produces. */
export function collectIslands<T>(render: () => T): { result: T; islands: IslandInstance[] } {
  const islands: IslandInstance[] = [];
  collector = islands;
  insideIsland = 0;
  try {
    return { result: render(), islands };
  } finally {
    collector = null;
    insideIsland = 0;
  }
}

function serializableProps(island: IslandRef, props: Record<string, unknown>): Record<string, unknown> {
  const where = `island ${island.file}#${island.exportName}`;
  const check = (value: unknown, path: string): void => {
    if (value === null || ["string", "number", "boolean", "undefined"].includes(typeof value)) return;
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
      throw new TypeError(`${where}: prop ${path} is a ${typeof value}; island props must be JSON data`);
    }
    if (isValidElement(value)) {
      throw new TypeError(`${where}: prop ${path} is JSX; island props must be JSON data`);
    }
    if (Array.isArray(value)) return value.forEach((v, i) => check(v, `${path}[${i}]`));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(
        `${where}: prop ${path} is a ${proto?.constructor?.name}; island props must be JSON data`,
      );
    }
    for (const [k, v] of Object.entries(value as object)) check(v, `${path}.${k}`);
  };
  for (const [k, v] of Object.entries(props)) check(v, k);
  return props;
}

/** Serializes data for a `<script type="application/json">` block so no text can close the tag. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
