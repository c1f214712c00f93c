/**
 * Turning a source's node graph into an importable tree: nodes that are dropped (hidden, system,
 * tool, reasoning, empty) are bridged, so their kept children hang under the nearest kept ancestor,
 * and the output lists parents before children. Cycles and dangling parents in a corrupted file
 * cannot loop or fail: every node is visited once.
 */
import type { ImportMessage } from "./types.ts";

/** A node of a source's graph: its message if kept (null when dropped) and its parent's id. */
export interface GraphNode {
  id: string;
  parentId: string | null;
  message: Omit<ImportMessage, "key" | "parentKey"> | null;
  /** For ordering siblings: creation time in ms, or the node's position in the file. */
  order: number;
}

/**
 * The kept messages in topological order (parents first, siblings by `order`), each with the key
 * of its nearest kept ancestor; and the kept message nearest to `leafId` (itself or an ancestor).
 */
export function buildTree(
  nodes: GraphNode[],
  leafId: string | null,
): { messages: ImportMessage[]; leafKey: string | null } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const keptAncestor = new Map<string, string | null>();
  const resolve = (id: string | null): string | null => {
    // Walks up to the nearest kept node, remembering the answer for every node on the way.
    const trail: string[] = [];
    const seen = new Set<string>();
    let cur = id;
    let answer: string | null = null;
    while (cur !== null) {
      if (keptAncestor.has(cur)) {
        answer = keptAncestor.get(cur)!;
        break;
      }
      const node = byId.get(cur);
      if (!node || seen.has(cur)) break;
      seen.add(cur);
      if (node.message) {
        answer = cur;
        break;
      }
      trail.push(cur);
      cur = node.parentId;
    }
    for (const t of trail) keptAncestor.set(t, answer);
    return answer;
  };
  const parentOf = new Map<string, string | null>();
  for (const n of nodes) {
    if (n.message) {
      parentOf.set(n.id, n.parentId === null || n.parentId === n.id ? null : resolve(n.parentId));
    }
  }
  // Children lists, then a depth-first walk from the roots; a node on a cycle has no root and is
  // attached at the top level so nothing kept is lost.
  const children = new Map<string | null, GraphNode[]>();
  for (const n of nodes) {
    if (!n.message) continue;
    const p = parentOf.get(n.id) ?? null;
    const list = children.get(p) ?? [];
    list.push(n);
    children.set(p, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.order - b.order);
  const out: ImportMessage[] = [];
  const placed = new Set<string>();
  const walk = (root: string | null) => {
    const stack: (string | null)[] = [root];
    while (stack.length > 0) {
      const id = stack.pop()!;
      const kids = (children.get(id) ?? []).filter((kid) => !placed.has(kid.id));
      // Siblings keep their order in the output (it becomes `seq`, the versions' order).
      for (const kid of kids) {
        placed.add(kid.id);
        out.push({ key: kid.id, parentKey: id, ...kid.message! });
      }
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i].id);
    }
  };
  walk(null);
  for (const n of nodes) {
    if (n.message && !placed.has(n.id)) {
      placed.add(n.id);
      out.push({ key: n.id, parentKey: null, ...n.message });
      walk(n.id);
    }
  }
  // Depth-first output can put a later sibling's subtree before an earlier one: that is fine, a
  // parent still always precedes its children.
  return { messages: out, leafKey: leafId === null ? null : resolve(leafId) };
}
