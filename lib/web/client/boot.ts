/**
 * Browser boot script: reads the page's island list, loads only those island modules, and
 * hydrates each `<mc-island data-id>` marker with its server-rendered props.
 */
import { h, hydrate } from "preact";

interface IslandData {
  id: number;
  url: string;
  exportName: string;
  props: Record<string, unknown>;
}

const script = document.getElementById("__mc_islands");
const islands: IslandData[] = script ? JSON.parse(script.textContent ?? "[]") : [];
const modules = new Map<string, Promise<Record<string, unknown>>>();
for (const island of islands) {
  if (!modules.has(island.url)) modules.set(island.url, import(island.url));
}
await Promise.all(islands.map(async (island) => {
  const mod = await modules.get(island.url)!;
  const component = mod[island.exportName] as Parameters<typeof h>[0];
  const marker = document.querySelector(`mc-island[data-id="${island.id}"]`);
  if (marker && component) hydrate(h(component, island.props), marker);
}));
document.documentElement.dataset.hydrated = "true";
