/** Input checks shared by the repositories, so malformed ids read as "not found", never as SQL errors. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical textual UUID (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

/** Longest owner id accepted (matches the `owners.id` check constraint). */
export const MAX_OWNER_ID_LENGTH = 200;

/** True for an owner id the schema accepts: 1..200 characters, no NUL. */
export function isOwnerId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_OWNER_ID_LENGTH &&
    !value.includes("\u0000");
}
