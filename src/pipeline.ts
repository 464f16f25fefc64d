/**
 * Runs streaming stages over a document stream. Documents move in small batches so that
 * batched stages (language ID across a native boundary) amortize their call, while order is
 * kept exactly (determinism). Counting, timing and handing removed documents to the
 * excluded writer happen here, once, for every stage.
 */
import type { Doc } from './doc.js';
import { isDrop, type Drop, type Stage, type StageContext, type StepResult } from './stage.js';
import { addToHistogram, emptyLanguageCounts, emptyStageStats, FRACTION_EDGES, LOG_EDGES, newHistogram, type StageStats } from './stats.js';

export interface ActiveStage {
  stage: Stage;
  stats: StageStats;
}

/** The output column of a stage's measured value in annotate mode (README.md, "mode: annotate", lists them). */
export function measureColumn(stage: string, metric: string): string {
  return `${stage}_${metric}`;
}

/**
 * A StageContext that records into `stats`. `annotate` (the run's `mode: annotate`, for the
 * stage named `stage`): a value observed with its document is also stored on it as the
 * column measureColumn(stage, metric), so one call feeds the histograms and the columns.
 */
export function stageContext(stats: StageStats, log: (m: string) => void, annotate?: { stage: string }): StageContext {
  return {
    observe(metric, value, doc) {
      if (annotate && doc) (doc.columns ??= {})[measureColumn(annotate.stage, metric)] = Number.isFinite(value) ? value : null;
      if (!Number.isFinite(value)) return;
      // Fractions get linear buckets on [0, 1]; anything else log-spaced buckets. The first
      // value decides, so a probability a hair above 1 (fastText adds 1e-5 before its log, so a
      // sure prediction scores 1.00001) must still pick the fraction buckets: else tasks whose
      // first document was sure get other edges than the rest, and their stats cannot merge.
      const h = (stats.histograms[metric] ??= newHistogram(value >= 0 && value <= 1 + 1e-4 && !/count|len|words|size|chars|tokens/.test(metric) ? FRACTION_EDGES : LOG_EDGES));
      addToHistogram(h, value);
    },
    annotate: annotate !== undefined,
    count(event, n = 1) {
      stats.events[event] = (stats.events[event] ?? 0) + n;
    },
    log,
  };
}

export function newActiveStage(stage: Stage, stats = emptyStageStats()): ActiveStage {
  return { stage, stats };
}

/** The size a stage sees: text, or the HTML before extraction. */
export function docChars(doc: Doc): number {
  return doc.text.length > 0 ? doc.text.length : (doc.html?.length ?? 0);
}

export type OnDrop = (stage: string, doc: Doc, drop: Drop) => void | Promise<void>;

export const BATCH_SIZE = 64;

/**
 * `annotate`: stages measure but do not remove. Every value a stage measures on a document
 * is a column `<stage>_<metric>` (stageContext), every rule checked, not only up to the first
 * broken one (src/stage.ts `measurements`); a document a stage would drop is kept as it came
 * in, with that rule and its value as columns `<stage>_reason`, `<stage>_value` (counted as
 * the event `annotated:<reason>`), so thresholds can be chosen on the output. A document
 * without text (nothing to measure, e.g. no main content) is still dropped.
 */
export interface PipelineMode {
  annotate?: boolean;
}

/**
 * Push one batch through every stage; returns the survivors in order.
 * A stage that throws on a document fails the task: stage bugs must not be silent.
 */
export async function processBatch(batch: Doc[], stages: ActiveStage[], onDrop: OnDrop, mode: PipelineMode = {}): Promise<Doc[]> {
  let docs = batch;
  for (const { stage, stats } of stages) {
    if (docs.length === 0) break;
    // Sizes before the stage runs: a stage may change the document in place (the extractor
    // swaps HTML for text).
    const sizes = docs.map(docChars);
    const t0 = performance.now();
    let results: StepResult[];
    if (stage.applyBatch) {
      results = await stage.applyBatch(docs);
    } else {
      results = new Array(docs.length);
      for (let i = 0; i < docs.length; i++) {
        const r = stage.apply(docs[i]!);
        results[i] = r instanceof Promise ? await r : r;
      }
    }
    stats.ms += performance.now() - t0;
    const kept: Doc[] = [];
    for (let i = 0; i < docs.length; i++) {
      const before = docs[i]!;
      const r = results[i]!;
      stats.docsIn++;
      stats.charsIn += sizes[i]!;
      const after = isDrop(r) ? before : r;
      // The per-language funnel: by the language the document has once the stage ran.
      const lang = after.language !== undefined ? ((stats.languages ??= {})[after.language] ??= emptyLanguageCounts()) : undefined;
      if (lang) {
        lang.docsIn++;
        lang.charsIn += sizes[i]!;
      }
      let out: Doc;
      if (isDrop(r)) {
        if (!mode.annotate || before.text.length === 0) {
          const d = (stats.dropped[r.reason] ??= { docs: 0, chars: 0 });
          d.docs++;
          d.chars += sizes[i]!;
          await onDrop(stage.name, before, r);
          continue;
        }
        // Annotate mode: the rule and its value become columns; the document goes on.
        (before.columns ??= {})[`${stage.name}_reason`] = r.reason;
        before.columns[`${stage.name}_value`] = r.value ?? null;
        stats.events[`annotated:${r.reason}`] = (stats.events[`annotated:${r.reason}`] ?? 0) + 1;
        out = before;
      } else {
        out = r;
      }
      stats.docsOut++;
      const chars = docChars(out);
      stats.charsOut += chars;
      if (lang) {
        lang.docsOut++;
        lang.charsOut += chars;
        lang.tokensOut += out.tokenCount ?? 0;
      }
      kept.push(out);
    }
    docs = kept;
  }
  return docs;
}

/** Stream documents through the stages, batch by batch. */
export async function* runStages(input: AsyncIterable<Doc>, stages: ActiveStage[], onDrop: OnDrop, batchSize = BATCH_SIZE, mode: PipelineMode = {}): AsyncGenerator<Doc> {
  let batch: Doc[] = [];
  for await (const doc of input) {
    batch.push(doc);
    if (batch.length >= batchSize) {
      yield* await processBatch(batch, stages, onDrop, mode);
      batch = [];
    }
  }
  if (batch.length) yield* await processBatch(batch, stages, onDrop, mode);
}
