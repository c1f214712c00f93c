import { CodedError } from "../errors.ts";

/** Machine-readable codes for every failure the data toolkit reports. */
export type DataErrorCode =
  | "FILE_NOT_FOUND"
  | "NOT_JSON"
  | "INVALID_RECORD"
  | "UNSUPPORTED_FORMAT"
  | "INVALID_OPTION"
  | "BUILD_FAILED"
  | "SOURCE_MISSING";

/** A typed error from `ml/data`: `code` says what went wrong, `message` says it for people. */
export class DataError extends CodedError<DataErrorCode> {}
