/** Usernames made from an identity provider's suggestion. */

/** A username the schema accepts, from an identity's suggestion: 3-64 of `[A-Za-z0-9._-]`. */
export function usernameFrom(suggestion: string): string {
  const cleaned = suggestion.normalize("NFKD").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 56);
  return cleaned.length >= 3 ? cleaned : `user-${cleaned || "oidc"}`.slice(0, 56);
}
