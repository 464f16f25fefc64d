/**
 * The streaming-stage contract. A stage is a per-document step: it returns the document
 * (possibly changed) to keep it, or a `Drop` to remove it. Counting, timing and writing the
 * excluded documents happen once, in the pipeline (src/pipeline.ts), for every stage.
 */
import type { Doc } from './doc.js';
import type { OptionRanges } from './options.js';

/** Why a stage removed a document: the rule, and the measured value that broke it. */
export interface Drop {
  /** The rule, short and stable, e.g. `dup_line_frac`. Counted in stats.json. */
  reason: string;
  /** The measured value, when the rule has one (e.g. 0.41). */
  value?: number;
  /** Human-readable comparison, e.g. `0.41>0.30`. */
  detail?: string;
}

export type StepResult = Doc | Drop;

export function isDrop(r: StepResult): r is Drop {
  return (r as Doc).meta === undefined;
}

/** A Drop for `value` breaking `threshold` (`op` says which side is bad). */
export function dropFor(reason: string, value: number, op: '>' | '<' | '>=' | '<=', threshold: number): Drop {
  return { reason, value, detail: `${round(value)}${op}${threshold}` };
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

/** What the framework hands a stage when it creates it. */
export interface StageContext {
  /** Record a measured value of a document (kept or dropped), for the report's distributions. */
  observe(metric: string, value: number): void;
  /** Count an event that is not a removal (e.g. `budget_exceeded`). */
  count(event: string, n?: number): void;
  /** A progress or warning line; goes to the task's log. */
  log(message: string): void;
}

export interface Stage {
  readonly name: string;
  apply(doc: Doc): StepResult | Promise<StepResult>;
  /**
   * Optional batched form, for stages that cross a process or native boundary (language ID):
   * results in input order. The pipeline prefers it when present.
   */
  applyBatch?(docs: Doc[]): Promise<StepResult[]>;
  /** Release resources (child processes, native handles). */
  close?(): Promise<void> | void;
}

/**
 * A stage module: what `stages/index.ts` registers under the config key `name`.
 * `defaults` is the typed config with the spec's values; a YAML entry may override any key,
 * and src/options.ts checks every given key against the type of its default.
 */
export interface StageModule<C extends object> {
  name: string;
  /** One line for `refinery stages` and --help. */
  description: string;
  defaults: C;
  /** The values each option accepts (src/options.ts), checked at start with the types. */
  ranges?: OptionRanges<C>;
  create(config: C, ctx: StageContext): Stage | Promise<Stage>;
}

/**
 * The common stage: a check of the document's text that returns a Drop to remove it, or
 * nothing to keep it unchanged, observing its measured values on the way (datatrove's
 * `filter(doc) -> bool | reason`). Counting and timing are the pipeline's, as for every stage.
 */
export function textFilter<C extends object>(def: {
  name: string;
  description: string;
  defaults: C;
  ranges?: OptionRanges<C>;
  check(text: string, config: C, observe: (metric: string, value: number) => void): Drop | undefined;
}): StageModule<C> {
  return {
    name: def.name,
    description: def.description,
    defaults: def.defaults,
    ranges: def.ranges,
    create(config, ctx) {
      const observe = (m: string, v: number) => ctx.observe(m, v);
      return { name: def.name, apply: (doc) => def.check(doc.text, config, observe) ?? doc };
    },
  };
}
