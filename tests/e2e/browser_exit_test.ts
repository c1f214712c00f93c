/**
 * The browser helper's account of a lost browser (tests/_helpers/browser.ts): Chromium runs through
 * a wrapper that keeps its stderr and exit status, so a browser that goes away mid-test prints why,
 * and a clean close leaves nothing behind.
 */
import assert from "node:assert/strict";
import {
  browserAvailable,
  browserExit,
  browserLog,
  launchBrowser,
  unexpectedExit,
} from "../_helpers/browser.ts";

Deno.test("unexpectedExit: silent after status 0; names the status, the signal and the last lines otherwise", () => {
  assert.equal(unexpectedExit("wrapper pid 7\nsome warning\nchromium exited with status 0\n"), null);
  const crashed = unexpectedExit(
    "wrapper pid 7\nline a\nReceived signal 11 SEGV_MAPERR\nchromium exited with status 139\n",
  );
  assert.ok(crashed?.includes("Chromium exited with status 139 (signal 11)"), crashed ?? "null");
  assert.ok(crashed?.includes("Received signal 11 SEGV_MAPERR"));
  const lost = unexpectedExit("wrapper pid 7\nline a\n");
  assert.ok(lost?.includes("still running"), lost ?? "null");
  const long = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n");
  const tail = unexpectedExit(long, 3)!.split("\n").slice(1);
  assert.deepEqual(tail, ["line 97", "line 98", "line 99"]);
});

const ok = browserAvailable("browser: lost-browser report");

Deno.test({
  name: "a closed browser leaves no log; a killed one reports its signal and keeps its log",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const clean = await launchBrowser();
    const cleanLog = browserLog(clean);
    await (await clean.newPage()).goto("data:text/html,<p>hello</p>");
    await clean.close();
    assert.equal(await browserExit(clean), null);
    await assert.rejects(Deno.stat(cleanLog), Deno.errors.NotFound);

    const victim = await launchBrowser();
    const log = browserLog(victim);
    try {
      const page = await victim.newPage();
      await page.goto("data:text/html,<p>hello</p>");
      const wrapper = /^wrapper pid (\d+)$/m.exec(await Deno.readTextFile(log))?.[1];
      assert.ok(wrapper, "the log names the wrapper's pid");
      // Chromium is the wrapper's only child (Debian's launcher script execs the binary).
      const killed = await new Deno.Command("pkill", { args: ["-KILL", "-P", wrapper] }).output();
      assert.equal(killed.code, 0, "pkill found Chromium");
      await assert.rejects(page.goto("data:text/html,<p>again</p>"));
      const report = await browserExit(victim);
      assert.ok(report?.includes("Chromium exited with status 137 (signal 9)"), report ?? "null");
      assert.ok((await Deno.readTextFile(log)).includes("chromium exited with status 137"));
    } finally {
      await victim.close().catch(() => {});
      await Deno.remove(log).catch(() => {});
    }
  },
});
