/**
 * Changing the headers of a response that may be immutable. `Response.redirect()` and responses from
 * `fetch()` have immutable headers (setting one throws a TypeError); middleware that
 * adds headers to whatever the next handler returned must not assume it may.
 */

/**
 * Applies `change` to `res`'s headers in place when they are mutable, else to a copy of the response
 * (same body stream, status and headers), which it returns. Use the returned response.
 */
export function withHeaders(res: Response, change: (headers: Headers) => void): Response {
  try {
    change(res.headers);
    return res;
  } catch (e) {
    // The first write to an immutable Headers throws before anything changed.
    if (!(e instanceof TypeError)) throw e;
    const copy = new Response(res.body, res);
    change(copy.headers);
    return copy;
  }
}
