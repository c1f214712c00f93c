import assert from "node:assert/strict";
import { log, logEnabled, setLogLevel, setLogSink } from "../../lib/log.ts";
import { startTestServer } from "../_helpers/app_server.ts";

function capture(): {
  lines: Array<{ level: string; msg: string } & Record<string, unknown>>;
  restore: () => void;
} {
  const lines: Array<{ level: string; msg: string } & Record<string, unknown>> = [];
  const restore = setLogSink((line) => lines.push(JSON.parse(line)));
  return { lines, restore };
}

Deno.test("log: one JSON line per call with time, level, msg and fields; nothing below the level", () => {
  const { lines, restore } = capture();
  try {
    setLogLevel("warn");
    log.debug("d");
    log.info("i");
    log.warn("w", { n: 1 });
    log.error("e", { path: "/x" });
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [["warn", "w"], ["error", "e"]]);
    assert.equal(lines[0].n, 1);
    assert.equal(lines[1].path, "/x");
    assert.ok(!Number.isNaN(Date.parse(String(lines[0].time))));
    setLogLevel("silent");
    log.error("hidden");
    assert.equal(lines.length, 2);
    assert.equal(logEnabled("error"), false);
    setLogLevel("debug");
    log.debug("shown");
    assert.equal(lines.at(-1)!.msg, "shown");
  } finally {
    setLogLevel("info");
    restore();
  }
});

Deno.test("log: the request log follows LOG_LEVEL (info writes one line per request, warn none)", async () => {
  const { lines, restore } = capture();
  try {
    for (const [level, expected] of [["info", 1], ["warn", 0]] as const) {
      lines.length = 0;
      const server = await startTestServer({ LOG_LEVEL: level });
      try {
        await (await fetch(`${server.url}/api/conversations`)).arrayBuffer();
      } finally {
        await server.close();
      }
      const requests = lines.filter((l) => l.msg === "request");
      assert.equal(requests.length, expected, `${level}: ${JSON.stringify(lines)}`);
      if (expected) {
        assert.deepEqual(
          { method: requests[0].method, path: requests[0].path, status: requests[0].status },
          { method: "GET", path: "/api/conversations", status: 200 },
        );
      }
    }
  } finally {
    setLogLevel("info");
    restore();
  }
});
