/**
 * Configuration of the OpenAI-compatible providers: one from `OPENAI_BASE_URL` (+ `OPENAI_API_KEY`,
 * `OPENAI_MODEL`), and any number from `OPENAI_PROVIDERS`, a JSON array. Validated with zod; every
 * problem is one line naming the entry and field (never the key).
 */
import { z } from "zod";

/** One configured OpenAI-compatible server. */
export interface OpenAIProviderConfig {
  /** Prefix of its model ids, e.g. "ollama" → "ollama:llama3.2:3b". */
  id: string;
  /** Shown next to its models, e.g. "Ollama". */
  label: string;
  /** API root including `/v1`. */
  baseUrl: string;
  apiKey?: string;
  /** Remote id of the default model. */
  defaultModel?: string;
  /** Fixed remote model ids (then `/models` is not asked). */
  models?: string[];
  /** `*` patterns of remote ids that read images (default: the built-in vision list). */
  visionModels?: string[];
  /** `*` patterns of remote ids that read PDFs (default: none). */
  pdfModels?: string[];
}

/** Provider ids taken by the built-in providers. */
export const RESERVED_PROVIDER_IDS: readonly string[] = ["gemini", "local", "registry"];

const httpUrl = z.string().trim().url({ message: "expected an http(s) URL" })
  .refine((u) => /^https?:\/\//.test(u), { message: "expected an http(s) URL" });
const remoteId = z.string().trim().min(1).max(200);

const entry = z.strictObject({
  id: z.string().regex(
    /^[a-z][a-z0-9-]{0,31}$/,
    "expected lowercase letters, digits and '-' (e.g. \"ollama\")",
  )
    .refine((id) => !RESERVED_PROVIDER_IDS.includes(id), { message: "this id is reserved" }),
  label: z.string().trim().min(1).max(60).optional(),
  baseUrl: httpUrl,
  apiKey: z.string().trim().min(1).optional(),
  defaultModel: remoteId.optional(),
  models: z.array(remoteId).min(1).max(500).optional(),
  visionModels: z.array(z.string().min(1).max(200)).max(100).optional(),
  pdfModels: z.array(z.string().min(1).max(200)).max(100).optional(),
});

/** The `OPENAI_PROVIDERS` value: a JSON array of provider entries with unique ids. */
export const OpenAIProvidersSchema = z.array(entry).max(20).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((p, i) => {
    if (seen.has(p.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate id "${p.id}"` });
    seen.add(p.id);
  });
});

/** The host of a URL (the label of the `OPENAI_BASE_URL` provider): no path, no credentials. */
export function hostLabel(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "OpenAI-compatible";
  }
}

/**
 * Parses `OPENAI_PROVIDERS` (JSON text). Returns the entries or the problems, one line each, like
 * `[1].baseUrl: expected an http(s) URL`.
 */
export function parseOpenAIProviders(text: string): { ok: true; value: OpenAIProviderConfig[] } | {
  ok: false;
  problems: string[];
} {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problems: ["expected a JSON array of providers"] };
  }
  const parsed = OpenAIProvidersSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
        return path ? `${path}: ${issue.message}` : issue.message;
      }),
    };
  }
  return {
    ok: true,
    value: parsed.data.map((p) => ({ ...p, label: p.label ?? hostLabel(p.baseUrl) })),
  };
}

/** OpenAI's own API root, used when `OPENAI_API_KEY` is set without `OPENAI_BASE_URL`. */
export const OPENAI_API_ROOT = "https://api.openai.com/v1";

/**
 * The `OPENAI_BASE_URL` provider (id "openai"; OpenAI itself when only `OPENAI_API_KEY` is set)
 * followed by the `OPENAI_PROVIDERS` entries (the configuration refuses an entry with id "openai"
 * when that one exists).
 */
export function openAIProviders(
  single: { baseUrl?: string; apiKey?: string; model?: string },
  list: OpenAIProviderConfig[],
): OpenAIProviderConfig[] {
  const out: OpenAIProviderConfig[] = [];
  const baseUrl = single.baseUrl ?? (single.apiKey ? OPENAI_API_ROOT : undefined);
  if (baseUrl) {
    out.push({
      id: "openai",
      label: hostLabel(baseUrl),
      baseUrl,
      apiKey: single.apiKey,
      defaultModel: single.model,
    });
  }
  return [...out, ...list];
}
