import assert from "node:assert/strict";
import { CodedError } from "../../ml/errors.ts";
import { HttpError } from "../../lib/http_error.ts";
import { BuildMissingError } from "../../lib/web/build_output.ts";
import { VoiceApiError } from "../../lib/voice/client/api.ts";
import { VoiceError } from "../../lib/voice/errors.ts";
import { UnknownModelError } from "../../lib/chat/registry.ts";
import { TooManyFollowersError } from "../../lib/chat/reply_service.ts";
import { ChatError } from "../../lib/chat/errors.ts";
import { ConfigError } from "../../lib/config.ts";
import { DatabaseError, DatabaseUnavailableError, NotFoundError } from "../../lib/db/errors.ts";
import { ImportFileError } from "../../lib/transfer/import/types.ts";
import { RateSpecError } from "../../lib/security/rate_spec.ts";
import { TrainConfigError } from "../../ml/train_config.ts";
import { ApiError } from "../../components/chat/api.ts";
import { ExportArgsError } from "../../tasks/export_hf.ts";
import { ReportArgsError } from "../../tasks/lora_report.ts";
import { EvalArgsError } from "../../tasks/eval.ts";
import { LoraError } from "../../ml/lora/errors.ts";

const root = new URL("../../", import.meta.url);
const SOURCE_DIRS = ["lib", "ml", "components", "islands", "routes", "tasks", "scripts"];

async function* sources(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory && entry.name !== "node_modules") yield* sources(url);
    else if (/\.tsx?$/.test(entry.name)) yield url;
  }
}

Deno.test("no class outside ml/errors.ts extends Error directly: every typed error is a CodedError", async () => {
  const direct: string[] = [];
  for (const dir of SOURCE_DIRS) {
    for await (const file of sources(new URL(`${dir}/`, root))) {
      const text = await Deno.readTextFile(file);
      for (const m of text.matchAll(/class\s+(\w+)(?:<[^>]*>)?\s+extends\s+Error\b/g)) {
        direct.push(`${file.pathname.slice(root.pathname.length)}: ${m[1]}`);
      }
    }
  }
  assert.deepEqual(direct, ["ml/errors.ts: CodedError"]);
});

Deno.test("each error keeps the code, name and message it was built with (no subclass field resets them)", () => {
  const cases: [CodedError<string>, string, string][] = [
    [new HttpError(404, "not_found", "no such conversation"), "not_found", "HttpError"],
    [new BuildMissingError("run deno task build"), "build_missing", "BuildMissingError"],
    [new VoiceApiError("rate_limited", 429, "slow down", 3), "rate_limited", "VoiceApiError"],
    [new VoiceError("upstream_auth", "bad key", { upstreamStatus: 401 }), "upstream_auth", "VoiceError"],
    [new UnknownModelError("gpt-9"), "unknown_model", "UnknownModelError"],
    [new TooManyFollowersError(4), "too_many_followers", "TooManyFollowersError"],
    [new ChatError("rate_limited", "try later", { status: 429 }), "rate_limited", "ChatError"],
    [new ConfigError(["PORT: expected a number"]), "invalid_config", "ConfigError"],
    [new DatabaseError("invalid_input", "bad"), "invalid_input", "DatabaseError"],
    [new DatabaseUnavailableError(), "database_unavailable", "DatabaseUnavailableError"],
    [new NotFoundError("no folder"), "not_found", "NotFoundError"],
    [new ImportFileError("file_too_large", "too big"), "file_too_large", "ImportFileError"],
    [new RateSpecError("x"), "invalid_rate_spec", "RateSpecError"],
    [new TrainConfigError(["steps: must be ≥ 1"]), "TRAIN_CONFIG_INVALID", "TrainConfigError"],
    [new ApiError("message_too_long", "too long", 400), "message_too_long", "ApiError"],
    [new ExportArgsError("unknown argument --x"), "EXPORT_ARGS", "ExportArgsError"],
    [new ReportArgsError("unknown argument --x"), "LORA_REPORT_ARGS", "ReportArgsError"],
    [new EvalArgsError("unknown argument --x"), "EVAL_ARGS", "EvalArgsError"],
  ];
  for (const [error, code, name] of cases) {
    assert.ok(error instanceof CodedError, name);
    assert.ok(error instanceof Error, name);
    assert.equal(error.code, code, name);
    assert.equal(error.name, name);
    assert.ok(error.message.length > 0, name);
  }
  const http = new HttpError(429, "rate_limited", "slow down", { "retry-after": "3" });
  assert.deepEqual([http.status, http.headers], [429, { "retry-after": "3" }]);
  const chat = new ChatError("rate_limited", "try later", { status: 429, retryAfterMs: 1500 });
  assert.deepEqual([chat.status, chat.retryAfterMs, chat.retryable], [429, 1500, true]);
  const voice = new VoiceError("upstream_rate_limited", "slow", {
    upstreamStatus: 429,
    retryAfterSeconds: 2,
  });
  assert.deepEqual([voice.upstreamStatus, voice.retryAfterSeconds], [429, 2]);
  assert.equal(new VoiceApiError("voice_not_configured", 501, "none").notConfigured, true);
  assert.equal(new ApiError("not_found", "gone", 404).status, 404);
  assert.ok(new LoraError("LORA_CONFIG_INVALID", "bad") instanceof CodedError);
});
