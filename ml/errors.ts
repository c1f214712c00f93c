/**
 * The one base class of every typed error in the project (`ml/`, `lib/`, `components/`, `tasks/`): a stable
 * machine-readable `code` and a readable message. It lives in `ml/` because `ml/` depends on nothing else
 * here; `tests/lib/errors_test.ts` checks that no other class extends `Error` directly.
 */

/** An error whose `code` says what went wrong; `name` is the subclass's name. */
export class CodedError<Code extends string> extends Error {
  /** Machine-readable reason, stable across releases. */
  readonly code: Code;
  /** An error with a machine-readable `code`. */
  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
