/** Starts the real app on a free port with a throwaway data dir, for API and browser tests. */
import { loadConfig } from "../../lib/config.ts";
import { type RunningServer, startServer } from "../../lib/server.ts";
import { freshDataDir } from "./pglite_template.ts";

/** A test server plus cleanup. */
export interface TestServer extends RunningServer {
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Starts the app; `env` overrides configuration (PORT=0, LOG_LEVEL=silent, a temp DATA_DIR and no local
 * model by default).
 */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  // No test may reach a real service: a key without a local stub's base URL would call Google/ElevenLabs.
  for (
    const [key, base] of [["GEMINI_API_KEY", "GEMINI_BASE_URL"], [
      "ELEVENLABS_API_KEY",
      "ELEVENLABS_BASE_URL",
    ]]
  ) {
    if (env[key]?.trim() && !env[base]) {
      throw new Error(`startTestServer: ${key} is set without ${base}; point it at a stub in tests/stubs/`);
    }
  }
  const dataDir = env.DATA_DIR ??
    (env.DATABASE_URL ? await Deno.makeTempDir({ prefix: "mc-test-" }) : await freshDataDir());
  const config = loadConfig({
    PORT: "0",
    LISTEN_HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    DATA_DIR: dataDir,
    // No local model unless a test asks for one (the repository commits one in ./models/local).
    LOCAL_MODEL_DIR: `${dataDir}/no-local-model`,
    ...env,
  });
  const server = await startServer(config);
  return {
    ...server,
    dataDir,
    async close() {
      await server.shutdown();
      if (!env.DATA_DIR) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
