/**
 * Errors with a stable `code` and a location, like undici's error family: callers and tests
 * branch on `code`, never on message text.
 */
export type ErrorCode =
  | 'ERR_CONFIG' // bad config key or value
  | 'ERR_WARC_FORMAT' // a record that cannot be parsed
  | 'ERR_WARC_TRUNCATED' // gzip member or record cut short
  | 'ERR_DECODE' // body / charset / content-encoding problem
  | 'ERR_TOO_LARGE' // over a configured size cap (compression bomb, giant page)
  | 'ERR_STORAGE' // local / http / s3 read or write failed after retries
  | 'ERR_CORRUPT' // an intermediate file failed its checksum or is truncated
  | 'ERR_NATIVE' // the native addon is missing or failed
  | 'ERR_INPUT' // an input that is not of any known kind
  | 'ERR_OUTPUT' // the run directory cannot be written (not a directory, disk full, no permission)
  | 'ERR_LOCKED' // another live run holds the run directory's lock
  | 'ERR_BAD_RECORD' // --strict: a bad input record stopped the task
  | 'ERR_TASK'; // a task failed for a reason that has no code of its own

export interface ErrorLocation {
  file?: string;
  /** Index of the record within the file (0-based). */
  record?: number;
  /** Byte offset in the (compressed) file where the record starts. */
  offset?: number;
}

export class RefineryError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation;
  /** The error is in what the user asked for (a flag, a path), found before anything ran. */
  readonly usage: boolean;
  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}, options?: { cause?: unknown; usage?: boolean }) {
    super(formatMessage(message, location), options);
    this.name = 'RefineryError';
    this.code = code;
    this.location = location;
    this.usage = options?.usage ?? false;
  }
}

function formatMessage(message: string, loc: ErrorLocation): string {
  const where: string[] = [];
  if (loc.file !== undefined) where.push(loc.file);
  if (loc.record !== undefined) where.push(`record ${loc.record}`);
  if (loc.offset !== undefined) where.push(`offset ${loc.offset}`);
  return where.length ? `${where.join(', ')}: ${message}` : message;
}
