/**
 * axe-core in a playwright-core page: injects the engine (through CDP, so the app's CSP does not
 * apply to it) and runs the WCAG 2.2 AA rule set, returning one readable line per failing node.
 */
import axe from "axe-core";
import type { Page } from "playwright-core";

/** The rule tags checked: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/** One failing rule with the nodes it failed on. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string; summary: string }[];
}

/** Runs axe-core on the page as it is now; `exclude` lists selectors to leave out. */
export async function axeViolations(page: Page, exclude: string[] = []): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === "object");
  if (!loaded) await page.evaluate(axe.source);
  return await page.evaluate(async ({ tags, exclude }) => {
    const engine = (globalThis as unknown as { axe: typeof axe }).axe;
    const context = exclude.length > 0 ? { exclude: exclude.map((s) => [s]) } : document;
    const result = await engine.run(context as axe.ElementContext, {
      runOnly: { type: "tag", values: tags },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary ?? "" })),
    }));
  }, { tags: WCAG_TAGS, exclude });
}

/** The violations as lines, for an assertion message (empty when there are none). */
export function formatViolations(where: string, violations: AxeViolation[]): string[] {
  return violations.flatMap((v) =>
    v.nodes.map((n) =>
      `${where}: ${v.id} (${v.impact}) ${v.help} at ${n.target}: ${n.summary.replace(/\s+/g, " ")}`
    )
  );
}
