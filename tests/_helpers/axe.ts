/**
 * Accessibility checks with axe-core in a playwright-core page. The engine is evaluated through the
 * DevTools protocol, so the app's Content-Security-Policy (no inline scripts) needs no exception.
 * The rule set is WCAG 2.0, 2.1 and 2.2 at levels A and AA.
 */
import axe from "axe-core";
import type { Page } from "playwright-core";

/** The rule tags checked: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/** One rule axe-core found broken, with the elements that break it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string; summary: string }[];
}

/** axe-core's violations in `selector` (default the whole document), as the page is now. */
export async function axeViolations(page: Page, selector?: string): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === "object");
  if (!loaded) await page.evaluate(axe.source);
  return await page.evaluate(async ({ tags, selector }) => {
    const engine = (globalThis as unknown as { axe: typeof axe }).axe;
    const context = selector ? document.querySelector(selector) : document;
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
  }, { tags: WCAG_TAGS, selector: selector ?? null });
}

/** The violations as lines, for an assertion message (empty when there are none). */
export function formatViolations(where: string, violations: AxeViolation[]): string[] {
  return violations.flatMap((v) =>
    v.nodes.map((n) =>
      `${where}: ${v.id} (${v.impact}) ${v.help} at ${n.target}: ${n.summary.replace(/\s+/g, " ")}`
    )
  );
}
