/**
 * Throwaway PostgreSQL clusters for tests and benches: finds the newest server binaries under
 * `/usr/lib/postgresql/<version>/bin`, runs `initdb` into a temporary directory, starts the server
 * on a free loopback port and removes everything on `destroy()`. `initdb` refuses to run as root,
 * so as root every server command runs as the `postgres` user through `runuser`.
 */

const PG_ROOT = "/usr/lib/postgresql";

/** A running (or stopped, between `stop()` and `start()`) throwaway cluster. */
export interface PostgresCluster {
  /**
   * Connection URL: `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth, no password), or
   * with `postgres:<password>@` when the cluster was started with a password.
   */
  readonly url: string;
  readonly port: number;
  /** Major version of the server binaries in use, e.g. 15. */
  readonly version: number;
  /** Stops the server (fast shutdown: open connections are terminated); data is kept. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops the server if running and deletes the data directory. Safe to call twice. */
  destroy(): Promise<void>;
}

/** Newest `/usr/lib/postgresql/<v>/bin` that holds `initdb`, `pg_ctl` and `postgres`, or null. */
export function findPostgresBin(): { bin: string; version: number } | null {
  let versions: number[];
  try {
    versions = [...Deno.readDirSync(PG_ROOT)]
      .filter((e) => e.isDirectory && /^\d+$/.test(e.name))
      .map((e) => Number(e.name))
      .sort((a, b) => b - a);
  } catch {
    return null;
  }
  for (const version of versions) {
    const bin = `${PG_ROOT}/${version}/bin`;
    if (["initdb", "pg_ctl", "postgres"].every((exe) => isFile(`${bin}/${exe}`))) return { bin, version };
  }
  return null;
}

/** Why a cluster cannot be started here, or null when it can (for `requireSuite`). */
export function postgresMissing(): string | null {
  if (findPostgresBin() === null) {
    return `PostgreSQL server binaries not found under ${PG_ROOT}/<version>/bin`;
  }
  if (isRoot() && !hasPostgresUser()) return "running as root but there is no `postgres` user for initdb";
  return null;
}

/** Options of {@link startPostgresCluster}. */
export interface PostgresClusterOptions {
  /**
   * Password of the `postgres` role; when set, every connection must authenticate with it
   * (`initdb --auth=scram-sha-256`), as a production server does. Unset: trust auth.
   */
  password?: string;
}

/** Creates, starts and returns a fresh cluster. Call `destroy()` when done. */
export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const found = findPostgresBin();
  if (found === null) throw new Error(postgresMissing() ?? "PostgreSQL binaries not found");
  const { bin, version } = found;
  const root = await Deno.makeTempDir({ prefix: "mini-claude-pg-" });
  // The postgres user must be able to reach and own the cluster directory.
  await Deno.chmod(root, 0o755);
  const dataDir = `${root}/data`;
  const logFile = `${root}/server.log`;
  await Deno.mkdir(dataDir, { mode: 0o700 });
  const auth = ["--auth=trust"];
  if (options.password !== undefined) {
    // initdb reads the superuser's password from a file; it is removed with the cluster directory.
    await Deno.writeTextFile(`${root}/pwfile`, `${options.password}\n`, { mode: 0o600 });
    auth.splice(0, 1, "--auth=scram-sha-256", `--pwfile=${root}/pwfile`);
  }
  if (isRoot()) await run("chown", ["-R", "postgres:postgres", root]);
  await run(
    `${bin}/initdb`,
    ["-D", dataDir, "-U", "postgres", ...auth, "-E", "UTF8", "--no-sync"],
    true,
  );
  if (options.password !== undefined) await Deno.remove(`${root}/pwfile`);

  let port = 0;
  let running = false;
  let destroyed = false;
  const serverOptions = () =>
    [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${root}`,
      "-c fsync=off",
      "-c synchronous_commit=off",
      "-c full_page_writes=off",
    ].join(" ");

  const start = async () => {
    try {
      await run(`${bin}/pg_ctl`, [
        "-D",
        dataDir,
        "-l",
        logFile,
        "-o",
        serverOptions(),
        "-w",
        "-t",
        "30",
        "start",
      ], true);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- server log ---\n${tail(logFile)}`);
    }
    running = true;
  };
  const stop = async () => {
    if (!running) return;
    await run(`${bin}/pg_ctl`, ["-D", dataDir, "-m", "fast", "-w", "-t", "30", "stop"], true);
    running = false;
  };
  // Runs at process exit when a test forgot (or never reached) destroy(): no orphaned servers.
  const emergencyStop = () => {
    syncRun(`${bin}/pg_ctl`, ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
    try {
      Deno.removeSync(root, { recursive: true });
    } catch { /* already gone */ }
  };

  live.add(emergencyStop);

  // Another process may take the free port between probing and binding it: try a few.
  for (let attempt = 1;; attempt++) {
    port = freePort();
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 3) {
        live.delete(emergencyStop);
        await Deno.remove(root, { recursive: true }).catch(() => {});
        throw error;
      }
    }
  }
  return {
    url: options.password === undefined
      ? `postgres://postgres@127.0.0.1:${port}/postgres`
      : `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}/postgres`,
    port,
    version,
    start,
    stop,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(emergencyStop);
      try {
        await stop();
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    },
  };
}

const live = new Set<() => void>();
globalThis.addEventListener("unload", () => {
  for (const stopNow of live) stopNow();
});

function tail(path: string, lines = 20): string {
  try {
    return Deno.readTextFileSync(path).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no server log)";
  }
}

function syncRun(cmd: string, args: string[]): void {
  const [exe, argv] = isRoot() ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  try {
    new Deno.Command(exe, { args: argv, stdout: "null", stderr: "null", cwd: "/" }).outputSync();
  } catch { /* best effort at exit */ }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function run(cmd: string, args: string[], asPostgres = false): Promise<void> {
  const [exe, argv] = asPostgres && isRoot()
    ? ["runuser", ["-u", "postgres", "--", cmd, ...args]]
    : [cmd, args];
  const out = await new Deno.Command(exe, { args: argv, stdout: "piped", stderr: "piped", cwd: "/" })
    .output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) || new TextDecoder().decode(out.stdout);
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}): ${text.trim()}`);
  }
}

function isRoot(): boolean {
  return Deno.uid() === 0;
}

function hasPostgresUser(): boolean {
  try {
    return /^postgres:/m.test(Deno.readTextFileSync("/etc/passwd"));
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
