/**
 * Accessibility checks with axe-core in a playwright-core page. The script is evaluated through the
 * DevTools protocol, so the app's Content-Security-Policy (no inline scripts) needs no exception.
 */
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

/** One rule axe-core found broken, with the elements that break it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const require = createRequire(import.meta.url);
let source: string | null = null;

/** axe-core's violations in `selector` (default the whole document), WCAG 2.x A and AA rules. */
export async function axeViolations(page: Page, selector?: string): Promise<AxeViolation[]> {
  source ??= await Deno.readTextFile(require.resolve("axe-core/axe.min.js"));
  await page.evaluate(source);
  return await page.evaluate(async (sel) => {
    type Result = {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    };
    const axe = (globalThis as unknown as {
      axe: { run(context: unknown, options: unknown): Promise<Result> };
    }).axe;
    const context = sel ? document.querySelector(sel) : document;
    const result = await axe.run(context, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")),
    }));
  }, selector ?? null);
}
