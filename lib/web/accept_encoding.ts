/**
 * Content negotiation for the encodings the app can send compressed (RFC 9110, section 12.5.3): which
 * of Brotli and gzip an `Accept-Encoding` value accepts, most preferred first.
 */
import { remembered } from "../remembered.ts";

/** A compressed content coding the app can send. */
export type ContentCoding = "br" | "gzip";

const NONE: readonly ContentCoding[] = Object.freeze([]);

/**
 * The codings `header` accepts, highest `q` first; on equal weight Brotli first (smaller). A coding
 * the value does not name takes the weight of `*`; `q=0` refuses. No header accepts neither (the body
 * is sent as it is).
 */
export function acceptedCodings(header: string | null): readonly ContentCoding[] {
  return header ? codingsOf(header) : NONE;
}

/** Remembered by header value: browsers send a handful of values, each on every request. */
const codingsOf = remembered(parseAcceptEncoding, 256);

function parseAcceptEncoding(header: string): readonly ContentCoding[] {
  const weights = new Map<string, number>();
  for (const part of header.toLowerCase().split(",")) {
    const [coding, ...params] = part.split(";").map((p) => p.trim());
    const q = params.find((p) => p.startsWith("q="));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(coding, Number.isNaN(weight) ? 0 : weight);
  }
  const weightOf = (coding: ContentCoding) => weights.get(coding) ?? weights.get("*") ?? 0;
  const accepted = (["br", "gzip"] as const).filter((c) => weightOf(c) > 0);
  // A stable sort keeps Brotli before gzip on equal weights.
  return Object.freeze(accepted.sort((a, b) => weightOf(b) - weightOf(a)));
}
