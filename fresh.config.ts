/**
 * Web-app configuration (Fresh's `fresh.config.ts` convention): where the app's files live and
 * which built-in middleware runs before the `routes/` middleware. The port and secrets come from
 * the environment (`lib/config.ts`).
 */

/** Shape of the web-app configuration. */
export interface WebConfig {
  routesDir: string;
  islandsDir: string;
  staticDir: string;
  /** Built-in middleware, in the order they run. */
  middleware: {
    requestLog: boolean;
    securityHeaders: boolean;
    csrf: boolean;
    bodyLimit: boolean;
  };
}

const config: WebConfig = {
  routesDir: "routes",
  islandsDir: "islands",
  staticDir: "static",
  middleware: { requestLog: true, securityHeaders: true, csrf: true, bodyLimit: true },
};

export default config;
