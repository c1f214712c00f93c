/**
 * Reading query strings: the URL's parameters (first value of each) validated with a zod schema.
 * A failure is a 400 {@link HttpError} naming the parameter, never a 500.
 */
import type { z } from "zod";
import { HttpError } from "./errors.ts";

/** Validates `url`'s query parameters with `schema` (which may coerce strings to numbers). */
export function readQuery<S extends z.ZodType>(url: URL, schema: S): z.infer<S> {
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams) if (!(key in params)) params[key] = value;
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new HttpError(400, "invalid_query", `${where}${issue.message}`);
  }
  return parsed.data;
}
