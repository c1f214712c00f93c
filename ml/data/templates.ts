/**
 * The Stanford Alpaca prompt templates (tatsu-lab/stanford_alpaca `train.py`, `PROMPT_DICT`), verbatim,
 * and the prompt/response split used for loss masking: the training text is `prompt + response`
 * (Alpaca appends the tokenizer's end-of-sequence token to the response), and only the response
 * tokens carry loss; the prompt tokens are masked.
 */

/** Template for records whose `input` is non-empty. */
export const PROMPT_WITH_INPUT: string =
  "Below is an instruction that describes a task, paired with an input that provides further context. " +
  "Write a response that appropriately completes the request.\n\n" +
  "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:";

/** Template for records whose `input` is empty. */
export const PROMPT_NO_INPUT: string = "Below is an instruction that describes a task. " +
  "Write a response that appropriately completes the request.\n\n" +
  "### Instruction:\n{instruction}\n\n### Response:";

/** The fields a template needs. */
export interface PromptFields {
  /** What to do. */
  instruction: string;
  /** Optional context (empty or absent when there is none). */
  input?: string;
  /** The desired answer. */
  output: string;
}

/** A record rendered for training: `prompt` is masked from the loss, `response` is learned. */
export interface PromptResponse {
  /** The filled template, ending in `### Response:`. */
  prompt: string;
  /** The record's `output`, exactly (no separator, no end-of-sequence token). */
  response: string;
}

/**
 * Fills the Alpaca template the way Stanford's `train.py` does: the with-input template when
 * `input` is a non-empty string, otherwise the no-input one. Placeholders are replaced literally,
 * so braces inside the record's text are kept as they are.
 */
export function formatPrompt(record: Pick<PromptFields, "instruction" | "input">): string {
  const input = record.input ?? "";
  const template = input !== "" ? PROMPT_WITH_INPUT : PROMPT_NO_INPUT;
  return template.replace(
    /\{(instruction|input)\}/g,
    (_, name: string) => name === "input" ? input : record.instruction,
  );
}

/**
 * Splits a record into `{ prompt, response }`; `prompt + response` is the full training text and
 * `prompt.length` is the loss-masking boundary (in characters; tokenize `prompt` alone for tokens).
 */
export function splitPromptResponse(record: PromptFields): PromptResponse {
  return { prompt: formatPrompt(record), response: record.output };
}
