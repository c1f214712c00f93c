/**
 * Reading JSON request bodies: content type checked, size limited by the body-limit middleware,
 * parsed, then validated with a zod schema. Every failure is a 4xx {@link HttpError} with a clear
 * message; nothing here can produce a 500.
 */
import type { z } from "zod";
import { HttpError } from "./errors.ts";

/** Parses and validates `req`'s JSON body with `schema`. An empty body reads as `{}`. */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const type = req.headers.get("content-type") ?? "";
  let text: string;
  try {
    text = await req.text();
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, "invalid_body", "The request body could not be read");
  }
  if (text.trim() !== "" && !/^application\/json\b/i.test(type)) {
    throw new HttpError(415, "unsupported_media_type", "Send the body as application/json");
  }
  let data: unknown;
  try {
    data = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "The request body is not valid JSON");
  }
  if (containsNul(data)) {
    // PostgreSQL text cannot hold U+0000; refusing here keeps multi-step handlers from half-applying.
    throw new HttpError(400, "invalid_body", "Text must not contain NUL (U+0000) characters");
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new HttpError(400, "invalid_body", `${where}${issue.message}`);
  }
  return parsed.data;
}

/** True when any string or key in the parsed JSON `value` contains U+0000 (iterative: depth-safe). */
export function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (v.includes("\u0000")) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) {
        if (k.includes("\u0000")) return true;
        stack.push(item);
      }
    }
  }
  return false;
}
