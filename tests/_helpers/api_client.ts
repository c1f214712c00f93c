/** A cookie-keeping JSON client for one browser session against a test server. */

/** One session's client. */
export class ApiClient {
  private cookie = "";
  constructor(readonly base: string) {}

  /** Sends a request with this session's cookie and remembers a new one. */
  async fetch(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set("cookie", this.cookie);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    const res = await fetch(this.base + path, { ...init, headers, body });
    const set = res.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0];
    return res;
  }

  /** Sends and parses a JSON response. */
  async json<T = Record<string, unknown>>(
    path: string,
    init: RequestInit & { json?: unknown } = {},
  ): Promise<{
    status: number;
    body: T;
  }> {
    const res = await this.fetch(path, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : (null as T) };
  }
}
