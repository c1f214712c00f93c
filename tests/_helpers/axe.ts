/**
 * Accessibility checks with axe-core injected into a playwright-core page: returns the violations
 * (rule id, impact, and the first offending element) so a test can assert there are none.
 */
import type { Page } from "playwright-core";
import { fromFileUrl } from "../../lib/web/paths.ts";

let source: string | null = null;

async function axeSource(): Promise<string> {
  if (source) return source;
  const url = import.meta.resolve("axe-core/axe.min.js");
  source = await Deno.readTextFile(url.startsWith("file:") ? fromFileUrl(url) : url);
  return source;
}

/** axe-core's WCAG 2.x A/AA violations on `page`, as `"rule (impact): selector"` lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) does not apply.
  await page.evaluate(`${await axeSource()}\n;void 0`);
  return await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    // deno-lint-ignore no-explicit-any
    return result.violations.map((v: any) => `${v.id} (${v.impact}): ${v.nodes[0]?.target?.join(" ")}`);
  });
}
