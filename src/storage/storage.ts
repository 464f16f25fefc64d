/**
 * One interface over local disk and S3 (docs/architecture.md, "Storage"): list, ranged
 * streaming read, and write-then-commit so a reader never sees half a file.
 * Paths are relative to the storage's root ('/'-separated).
 */

export interface ObjectInfo {
  /** Path relative to the storage root. */
  path: string;
  size: number;
}

export interface AtomicWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Make the file visible under its final name (rename locally; complete multipart on S3). */
  commit(): Promise<void>;
  /** Discard everything written. */
  abort(): Promise<void>;
}

/**
 * What a storage's ranged read may return besides chunks: `fill` reads the range (up to the
 * target's length) into the caller's buffer instead, and says how many bytes there were (fewer
 * at the end of the object). Local disk has it; a reader that reuses one buffer (pass-io's
 * readByteRange) then allocates nothing per read. A wrapper that re-yields chunks drops it.
 */
export interface FillableRead extends AsyncIterable<Uint8Array> {
  fill(target: Uint8Array): Promise<number>;
}

export interface Storage {
  /** A URL-ish name of the root, for messages: `/abs/dir` or `s3://bucket/prefix`. */
  readonly root: string;
  /** Every object under `prefix` (recursive), sorted by path. */
  list(prefix: string): Promise<ObjectInfo[]>;
  exists(path: string): Promise<boolean>;
  /** Stream bytes [start, end) of an object; transient failures are retried and resumed. May be a FillableRead when `end` is given. */
  read(path: string, range?: { start?: number; end?: number }): AsyncIterable<Uint8Array>;
  readAll(path: string): Promise<Buffer>;
  /** Start a file that appears only on commit. */
  create(path: string): Promise<AtomicWriter>;
  /** Write a whole file atomically. */
  writeAll(path: string, data: Uint8Array | string): Promise<void>;
  /**
   * Write a whole file only if no file of that name exists; false if one does. Local disk:
   * O_EXCL; S3: a conditional put (`If-None-Match: *`), which some servers ignore (see
   * src/run-lock.ts). Used for the run directory's lock.
   */
  createExclusive?(path: string, data: Uint8Array | string): Promise<boolean>;
  delete(path: string): Promise<void>;
}
