/**
 * The per-document record that `refinery run --explain` keeps for `refinery explain`: one line
 * per document the streaming pass read, `filter/explain/<rank>.jsonl.gz`, in input order, with
 * where it came from (record number and byte offset in its input) and, when a streaming stage
 * removed it, the stage, reason, value and detail. What each stage measured is not stored: the
 * explain command re-reads the one record at its offset and re-runs the stages on it (the
 * pipeline is deterministic), so the run pays only for the locator (docs/explain.md).
 *
 * Lines are gzipped in members of ~1 MB of text (a multi-member gzip file reads as one), so a
 * task holds at most that much, and the bytes depend only on the task's documents.
 */
import { createGunzip, gzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { Doc } from './doc.js';
import type { Drop } from './stage.js';
import type { Storage } from './storage/storage.js';
import { pad, STREAM_PASS } from './run-dir.js';

export const TRACE_DIR = `${STREAM_PASS}/explain`;
export const tracePath = (rank: number) => `${TRACE_DIR}/${pad(rank)}.jsonl.gz`;

export interface TraceLine {
  record: number;
  offset: number;
  id: string;
  url: string;
  /** Set when a streaming stage removed the document. */
  stage?: string;
  reason?: string;
  value?: number | null;
  detail?: string | null;
}

const MEMBER_CHARS = 1 << 20;

/**
 * Writes a task's trace. Documents are `read` in input order and resolved later (`dropped`, or
 * `kept`); a line is written once it and every line before it are resolved, so the file is in
 * input order and holds no more than the pipeline's batches in flight. Documents are matched by
 * their record number (`doc.source.record`), which stages carry along with the document.
 */
export function traceWriter(run: Storage, rank: number) {
  const pending: { line: TraceLine; done: boolean }[] = [];
  const byRecord = new Map<number, { line: TraceLine; done: boolean }>();
  let text = '';
  let out: Awaited<ReturnType<Storage['create']>> | undefined;
  let lines = 0;
  let mostPending = 0;
  const flushText = async (force: boolean) => {
    if (!text || (!force && text.length < MEMBER_CHARS)) return;
    out ??= await run.create(tracePath(rank));
    await out.write(gzipSync(text, { level: 6 }));
    text = '';
  };
  const drain = async () => {
    while (pending.length && pending[0]!.done) {
      const e = pending.shift()!;
      byRecord.delete(e.line.record);
      text += JSON.stringify(e.line) + '\n';
      lines++;
    }
    await flushText(false);
  };
  const resolve = (doc: Doc) => {
    const r = doc.source?.record;
    const e = r === undefined ? undefined : byRecord.get(r);
    if (e) e.done = true;
    return e;
  };
  return {
    read(doc: Doc): void {
      const record = doc.source?.record;
      if (record === undefined) return;
      const e = { line: { record, offset: doc.source!.offset, id: doc.id, url: doc.url }, done: false };
      pending.push(e);
      byRecord.set(record, e);
      mostPending = Math.max(mostPending, pending.length);
    },
    async dropped(stage: string, doc: Doc, drop: Drop): Promise<void> {
      const e = resolve(doc);
      if (e) Object.assign(e.line, { stage, reason: drop.reason, value: drop.value ?? null, detail: drop.detail ?? null });
      await drain();
    },
    async kept(doc: Doc): Promise<void> {
      resolve(doc);
      await drain();
    },
    /** Commits the file (every line left is resolved once the pipeline has ended): lines written, most held at once. */
    async close(): Promise<{ lines: number; mostPending: number }> {
      for (const e of pending) e.done = true;
      await drain();
      await flushText(true);
      if (out) await out.commit();
      else await run.writeAll(tracePath(rank), gzipSync('', { level: 6 }));
      return { lines, mostPending };
    },
    async abort(): Promise<void> {
      await out?.abort();
    },
  };
}

/** The trace lines of one task, streamed (a line at a time). */
export async function* readTrace(run: Storage, rank: number): AsyncGenerator<TraceLine> {
  const lines = createInterface({ input: Readable.from(run.read(tracePath(rank))).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const l of lines) if (l) yield JSON.parse(l) as TraceLine;
}

/** Whether the run kept traces (`--explain`). */
export async function hasTraces(run: Storage): Promise<boolean> {
  return (await run.list(`${TRACE_DIR}/`)).length > 0;
}
