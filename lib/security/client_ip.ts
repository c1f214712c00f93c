/**
 * The client address used for per-IP limits. Without a proxy it is the socket's peer address.
 * Behind `trustedProxyHops` reverse proxies (load balancer, CDN) it is the address the outermost
 * trusted proxy saw: the entry that many places from the right of `X-Forwarded-For`, since every
 * entry further left can be forged by the client. IPv6 addresses are reduced to their /64 network:
 * one subscriber usually gets a whole /64, so per-address limits would be trivial to evade.
 */
import { remembered } from "../remembered.ts";

/** Returns the key address for `req`, or null when unknown. */
export function clientIp(
  req: Request,
  remoteAddr: string | undefined,
  trustedProxyHops = 0,
): string | null {
  let addr = remoteAddr ?? null;
  if (trustedProxyHops > 0) {
    const chain = (req.headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim())
      .filter((s) => s !== "");
    if (chain.length >= trustedProxyHops) addr = chain[chain.length - trustedProxyHops];
  }
  return addr ? normalizedIp(addr) : null;
}

/** {@link normalizeIp}, remembered by address: every request asks, and clients keep their address. */
const normalizedIp = remembered(normalizeIp, 4096);

/** IPv4 as is; IPv6 (optionally bracketed, with a zone or IPv4 tail) as its /64 prefix `a:b:c:d::/64`. */
export function normalizeIp(addr: string): string {
  let a = addr.trim().replace(/^\[|\]$/g, "").replace(/%.*$/, "").toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1];
  if (!a.includes(":")) return a.slice(0, 45);
  if (/\d+\.\d+\.\d+\.\d+$/.test(a)) a = a.replace(/:[^:]*$/, ":0:0");
  const [head, tail] = a.includes("::") ? a.split("::", 2) : [a, null];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const fill = tail === null ? [] : Array(Math.max(0, 8 - left.length - right.length)).fill("0");
  const groups = [...left, ...fill, ...right].slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16));
  while (groups.length < 4) groups.push("0");
  return `${groups.join(":")}::/64`;
}
