/** Text values bound for `text` columns. */
import { InvalidInputError } from "./errors.ts";

/**
 * Returns `value` when it is a string PostgreSQL can store; PostgreSQL `text` cannot hold U+0000,
 * so such input is refused as `invalid_input` instead of surfacing as a server error.
 */
export function checkText(value: unknown, field: string): string {
  if (typeof value !== "string") throw new InvalidInputError(`${field} must be a string`);
  if (value.includes("\u0000")) {
    throw new InvalidInputError(`${field} must not contain NUL (U+0000) characters`);
  }
  return value;
}
