/**
 * Finds the LoRA adapters the local model can serve, without loading tfjs: the adapters of training runs
 * in `RUNS_DIR` (`<run>/adapter/`, a PEFT folder, over the base named in `<run>/config.json`) and the
 * folders of `ADAPTERS_DIR` (`<name>/adapter_config.json`, `<name>/adapter_model.safetensors`, optional
 * `<name>/chat.json` with a label and a prompt template). Each adapter is checked against the local
 * checkpoint before it is listed: its config must be one this code runs, every tensor must sit on a
 * linear of the base with matching shapes, and a run's base must be this checkpoint. Refused adapters
 * are returned with a reason (the server logs them) and never listed.
 */
import { z } from "zod";
import { fromPeftConfigJson } from "../../ml/lora/config.ts";

/** How the adapter's prompts are formatted: the Stanford Alpaca template or ChatML. */
export type PromptTemplate = "alpaca" | "chatml";

/** An adapter the local provider offers as model `local:<name>`. */
export interface LocalAdapter {
  /** Model id, `local:<name>`. */
  id: string;
  /** Adapter name (letters, digits, `_`, `-`). */
  name: string;
  /** Label for the picker. */
  label: string;
  /** PEFT adapter folder. */
  dir: string;
  /** Prompt template it was trained with. */
  template: PromptTemplate;
  /** Where it was found. */
  source: "run" | "adapters_dir";
}

/** An adapter that was found but cannot run on the local checkpoint. */
export interface RefusedAdapter {
  /** Folder that was examined. */
  dir: string;
  /** Why it is not listed. */
  reason: string;
}

/** Result of {@link findLocalAdapters}. */
export interface AdapterDiscovery {
  adapters: LocalAdapter[];
  refused: RefusedAdapter[];
}

/** Where to look. */
export interface AdapterSources {
  /** The local checkpoint (`LOCAL_MODEL_DIR`). */
  modelDir: string;
  /** Training runs (`RUNS_DIR`); missing folder: none. */
  runsDir?: string;
  /** Extra adapters (`ADAPTERS_DIR`); unset or missing folder: none. */
  adaptersDir?: string;
}

/** Model-id prefix of adapters. */
export const ADAPTER_MODEL_PREFIX = "local:";
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const PEFT_PREFIX = "base_model.model.";

/** `ADAPTERS_DIR/<name>/chat.json`: what the picker shows and how prompts are formatted. */
export const adapterChatSchema = z.strictObject({
  label: z.string().trim().min(1).max(80).optional(),
  template: z.enum(["alpaca", "chatml"]).default("alpaca"),
});

type Shapes = Map<string, number[]>;

/** Reads only the header of a safetensors file: tensor name -> shape. */
export async function readSafetensorsShapes(path: string): Promise<Shapes> {
  const file = await Deno.open(path, { read: true });
  try {
    const head = new Uint8Array(8);
    if ((await file.read(head)) !== 8) throw new Error(`${path}: shorter than 8 bytes`);
    const n = Number(new DataView(head.buffer).getBigUint64(0, true));
    if (n > 16 * 1024 * 1024) throw new Error(`${path}: header of ${n} bytes is too large`);
    const buf = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const got = await file.read(buf.subarray(at));
      if (got === null) throw new Error(`${path}: truncated header`);
      at += got;
    }
    const header = JSON.parse(new TextDecoder().decode(buf)) as Record<string, { shape?: unknown }>;
    const out: Shapes = new Map();
    for (const [name, t] of Object.entries(header)) {
      if (name === "__metadata__") continue;
      if (!Array.isArray(t?.shape) || !t.shape.every((d) => Number.isInteger(d))) {
        throw new Error(`${path}: "${name}" has no shape`);
      }
      out.set(name, t.shape as number[]);
    }
    return out;
  } finally {
    file.close();
  }
}

/**
 * Checks that a PEFT adapter folder runs on a base whose weights have `baseShapes` (tfjs layout: a
 * linear `m` has `m.weight` of shape [in, out]). Returns the problem, or null when it fits.
 */
export async function adapterMismatch(dir: string, baseShapes: Shapes): Promise<string | null> {
  try {
    fromPeftConfigJson(JSON.parse(await Deno.readTextFile(`${dir}/adapter_config.json`)));
  } catch (e) {
    return `adapter_config.json: ${(e as Error).message}`;
  }
  let shapes: Shapes;
  try {
    shapes = await readSafetensorsShapes(`${dir}/adapter_model.safetensors`);
  } catch (e) {
    return `adapter_model.safetensors: ${(e as Error).message}`;
  }
  if (shapes.size === 0) return "adapter_model.safetensors holds no tensors";
  const ranks = new Map<string, number>();
  for (const [key, shape] of shapes) {
    const m = key.startsWith(PEFT_PREFIX)
      ? /^(.+)\.lora_(A|B)\.weight$/.exec(key.slice(PEFT_PREFIX.length))
      : null;
    if (!m) return `tensor "${key}" is not a LoRA A/B weight`;
    const [, module, which] = m;
    const base = baseShapes.get(`${module}.weight`);
    if (!base || base.length !== 2) {
      return `the local model has no linear "${module}" (trained on another base)`;
    }
    const [inF, outF] = base;
    const ok = shape.length === 2 &&
      (which === "A" ? shape[1] === inF : shape[0] === outF);
    if (!ok) {
      return `"${key}" is [${shape}], the local model's "${module}" is ${inF}→${outF} (trained on another base)`;
    }
    const r = which === "A" ? shape[0] : shape[1];
    if (ranks.has(module) && ranks.get(module) !== r) return `"${module}": lora_A and lora_B ranks differ`;
    ranks.set(module, r);
  }
  return null;
}

async function realPath(path: string): Promise<string | null> {
  try {
    return await Deno.realPath(path);
  } catch {
    return null;
  }
}

async function sha256(path: string): Promise<string | null> {
  try {
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  } catch {
    return null;
  }
}

/** Whether checkpoint folder `a` is the local checkpoint `b`: the same folder or the same weights file. */
async function sameCheckpoint(a: string, b: string): Promise<boolean> {
  const [ra, rb] = [await realPath(a), await realPath(b)];
  if (ra !== null && ra === rb) return true;
  const [ha, hb] = [await sha256(`${a}/model.safetensors`), await sha256(`${b}/model.safetensors`)];
  return ha !== null && ha === hb;
}

/**
 * The template a run's training data implies: ChatML for ShareGPT (`conversations`) or OpenAI-messages
 * (`messages`) records, Alpaca otherwise (also when the data file is gone). Reads the first 64 KiB.
 */
export async function runTemplate(dataPath: string): Promise<PromptTemplate> {
  let text: string;
  try {
    const file = await Deno.open(dataPath, { read: true });
    try {
      const buf = new Uint8Array(64 * 1024);
      const n = (await file.read(buf)) ?? 0;
      text = new TextDecoder().decode(buf.subarray(0, n));
    } finally {
      file.close();
    }
  } catch {
    return "alpaca";
  }
  const chat = /(?:^|[{,\s])"(?:conversations|messages)"\s*:/.exec(text);
  const alpaca = /(?:^|[{,\s])"(?:instruction|output)"\s*:/.exec(text);
  if (chat && (!alpaca || chat.index < alpaca.index)) return "chatml";
  return "alpaca";
}

async function dirNames(dir: string | undefined): Promise<string[]> {
  if (!dir) return [];
  try {
    const out: string[] = [];
    for await (const e of Deno.readDir(dir)) if (e.isDirectory) out.push(e.name);
    return out.sort();
  } catch {
    return [];
  }
}

const runConfigSchema = z.object({
  mode: z.literal("lora"),
  base: z.string().min(1),
  data: z.object({ train: z.string() }).passthrough(),
  lora: z.object({ r: z.number() }).passthrough().optional(),
}).passthrough();

/**
 * Lists the adapters in `runsDir` and `adaptersDir` that run on the checkpoint in `modelDir`, sorted by
 * name; a name found twice keeps the run's adapter and refuses the other.
 */
export async function findLocalAdapters(sources: AdapterSources): Promise<AdapterDiscovery> {
  const adapters: LocalAdapter[] = [];
  const refused: RefusedAdapter[] = [];
  let baseShapes: Shapes;
  try {
    baseShapes = await readSafetensorsShapes(`${sources.modelDir}/model.safetensors`);
  } catch {
    return { adapters, refused };
  }
  const taken = new Set<string>();
  for (const run of await dirNames(sources.runsDir)) {
    const runDir = `${sources.runsDir}/${run}`;
    const dir = `${runDir}/adapter`;
    try {
      await Deno.stat(`${dir}/adapter_config.json`);
    } catch {
      continue; // not an adapter run
    }
    let config: z.infer<typeof runConfigSchema>;
    try {
      const parsed = runConfigSchema.safeParse(JSON.parse(await Deno.readTextFile(`${runDir}/config.json`)));
      if (!parsed.success) {
        refused.push({ dir, reason: "config.json is not a LoRA run's config (mode, base, data.train)" });
        continue;
      }
      config = parsed.data;
    } catch (e) {
      refused.push({ dir, reason: `config.json: ${(e as Error).message}` });
      continue;
    }
    if (!NAME.test(run)) {
      refused.push({
        dir,
        reason:
          `run name "${run}" must be letters, digits, _ or - (starting with a letter or digit, at most 64)`,
      });
      continue;
    }
    if (!(await sameCheckpoint(config.base, sources.modelDir))) {
      refused.push({
        dir,
        reason: `trained on base "${config.base}", which is not the local model (${sources.modelDir})`,
      });
      continue;
    }
    const problem = await adapterMismatch(dir, baseShapes);
    if (problem) {
      refused.push({ dir, reason: problem });
      continue;
    }
    const template = await runTemplate(config.data.train);
    taken.add(run);
    adapters.push({
      id: `${ADAPTER_MODEL_PREFIX}${run}`,
      name: run,
      label: `${run} (LoRA${config.lora ? ` r=${config.lora.r}` : ""}, ${
        template === "chatml" ? "chat" : "Alpaca"
      })`,
      dir,
      template,
      source: "run",
    });
  }
  for (const name of await dirNames(sources.adaptersDir)) {
    const dir = `${sources.adaptersDir}/${name}`;
    if (!NAME.test(name)) {
      refused.push({
        dir,
        reason:
          `folder name "${name}" must be letters, digits, _ or - (starting with a letter or digit, at most 64)`,
      });
      continue;
    }
    if (taken.has(name)) {
      refused.push({ dir, reason: `a run in RUNS_DIR already has the name "${name}"` });
      continue;
    }
    let chat: z.infer<typeof adapterChatSchema> = { template: "alpaca" };
    try {
      const raw = JSON.parse(await Deno.readTextFile(`${dir}/chat.json`));
      const parsed = adapterChatSchema.safeParse(raw);
      if (!parsed.success) {
        refused.push({
          dir,
          reason: `chat.json: ${
            parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")
          }`,
        });
        continue;
      }
      chat = parsed.data;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        refused.push({ dir, reason: `chat.json: ${(e as Error).message}` });
        continue;
      }
    }
    const problem = await adapterMismatch(dir, baseShapes);
    if (problem) {
      refused.push({ dir, reason: problem });
      continue;
    }
    taken.add(name);
    adapters.push({
      id: `${ADAPTER_MODEL_PREFIX}${name}`,
      name,
      label: chat.label ?? `${name} (LoRA, ${chat.template === "chatml" ? "chat" : "Alpaca"})`,
      dir,
      template: chat.template,
      source: "adapters_dir",
    });
  }
  adapters.sort((a, b) => a.name.localeCompare(b.name));
  return { adapters, refused };
}
