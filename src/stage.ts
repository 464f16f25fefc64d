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
  /**
   * Record a measured value of a document (kept or dropped), for the report's distributions.
   * With the document, it is also that document's value: in annotate mode (`mode: annotate`)
   * the column `<stage>_<metric>` of the output.
   */
  observe(metric: string, value: number, doc?: Doc): void;
  /**
   * `mode: annotate`: nothing is removed, so a stage should measure everything it can instead
   * of stopping at the first broken rule (see `measurements`).
   */
  annotate?: boolean;
  /** Count an event that is not a removal (e.g. `budget_exceeded`). */
  count(event: string, n?: number): void;
  /** A progress or warning line; goes to the task's log. */
  log(message: string): void;
  /**
   * The stage's options for documents of `language` (its `per_language` entry, else its own
   * options). Only a module that routes documents itself (`perLanguage: 'self'`) needs it.
   */
  optionsFor?(language: string | undefined): object;
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
  /**
   * Built-in values per document language (lid.176 code -> options that differ from
   * `defaults`), as data; a config's `per_language` overrides them (src/options.ts).
   */
  languageDefaults?: Record<string, Partial<C>>;
  /**
   * `route` (default): the framework creates the stage once per distinct set of per-language
   * options and hands each document to the one for `doc.language`. `self`: one stage, which
   * asks `ctx.optionsFor(language)` (for a stage that decides the language itself).
   */
  perLanguage?: 'route' | 'self';
  create(config: C, ctx: StageContext): Stage | Promise<Stage>;
}

/**
 * Create a stage from its resolved options (`per_language` included, as src/options.ts
 * resolves them). With per-language options and routing, one stage per distinct option set;
 * each document goes to its language's (order kept; a batch is split by language and put
 * back together). Without any, exactly `mod.create(options)`, as before.
 */
export async function createStage<C extends object>(mod: StageModule<C>, options: C & { per_language?: Record<string, C> }, ctx: StageContext): Promise<Stage> {
  const { per_language: perLanguage, ...own } = options;
  const base = own as C;
  const optionsFor = (language: string | undefined): C => (language !== undefined && perLanguage?.[language]) || base;
  if (!perLanguage || mod.perLanguage === 'self') return mod.create(base, { ...ctx, optionsFor });
  const baseKey = JSON.stringify(base);
  const byKey = new Map<string, Stage>([[baseKey, await mod.create(base, ctx)]]);
  const byLanguage = new Map<string, Stage>();
  for (const [code, c] of Object.entries(perLanguage)) {
    const key = JSON.stringify(c);
    if (!byKey.has(key)) byKey.set(key, await mod.create(c, ctx));
    if (key !== baseKey) byLanguage.set(code, byKey.get(key)!);
  }
  const fallback = byKey.get(baseKey)!;
  if (byLanguage.size === 0) return fallback;
  const stageFor = (doc: Doc) => (doc.language !== undefined && byLanguage.get(doc.language)) || fallback;
  const stages = [...byKey.values()];
  const routed: Stage = {
    name: fallback.name,
    apply: (doc) => stageFor(doc).apply(doc),
    close: async () => {
      for (const s of stages) await s.close?.();
    },
  };
  if (stages.some((s) => s.applyBatch)) {
    routed.applyBatch = async (docs) => {
      const groups = new Map<Stage, number[]>();
      docs.forEach((d, i) => {
        const s = stageFor(d);
        const g = groups.get(s);
        if (g) g.push(i);
        else groups.set(s, [i]);
      });
      const results: StepResult[] = new Array(docs.length);
      for (const [s, at] of groups) {
        const part = at.map((i) => docs[i]!);
        const r = s.applyBatch ? await s.applyBatch(part) : await Promise.all(part.map((d) => s.apply(d)));
        at.forEach((i, j) => (results[i] = r[j]!));
      }
      return results;
    };
  }
  return routed;
}

/**
 * How a check reports: every measured value through `observe`, every broken rule through
 * `broke`, which says whether to stop (return `drop`) now. In filter mode the first broken
 * rule stops the check, so measures after it cost nothing; in annotate mode the check goes
 * on and measures everything, and `drop` stays the first broken rule (the one filter mode
 * removes the document for).
 */
export interface Measurements {
  observe(metric: string, value: number): void;
  /** A broken rule: true when the check should return `drop` now. */
  broke(drop: Drop): boolean;
  /** The first broken rule, if any. */
  readonly drop: Drop | undefined;
  /** Annotate mode: measure everything, including what filter mode may skip or cut short. */
  readonly all: boolean;
}

export function measurements(observe: (metric: string, value: number) => void = () => {}, annotate = false): Measurements {
  let first: Drop | undefined;
  return {
    observe,
    all: annotate,
    broke(d) {
      first ??= d;
      return !annotate;
    },
    get drop() {
      return first;
    },
  };
}

/**
 * What a filter's check returns: nothing (or `true`) keeps the document unchanged, unless a
 * rule was reported broken through `tools.broke`; a Drop, a reason string, or `false`
 * (reason: the filter's name) removes it. datatrove's `filter(doc) -> bool | reason`, with the
 * measured value when the rule has one (`dropFor`).
 */
export type Verdict = Drop | string | boolean | undefined | void;

/** What a filter's check may record besides its verdict: its measurements, events and log lines. */
export type FilterTools = Measurements & Pick<StageContext, 'count' | 'log'>;

/**
 * The common stage: a check of the document's text that keeps or removes it, observing its
 * measured values on the way (in annotate mode each is also a column of the document).
 * Counting, timing, excluded output and the report are the pipeline's, as for every stage.
 * `doc` is for checks that need more than the text (its language, to split words by
 * language; its url); a filter does not change it.
 */
export function textFilter<C extends object>(def: {
  name: string;
  /** One line for `refinery stages`. */
  description?: string;
  defaults: C;
  ranges?: OptionRanges<C>;
  languageDefaults?: Record<string, Partial<C>>;
  check(text: string, options: C, doc: Readonly<Doc>, tools: FilterTools): Verdict;
}): StageModule<C> {
  const verdictToResult = (doc: Doc, v: Verdict): StepResult => {
    if (v === undefined || v === true) return doc;
    if (v === false) return { reason: def.name };
    if (typeof v === 'string') return { reason: v };
    if (typeof v === 'object' && v !== null && typeof v.reason === 'string') return v;
    throw new Error(`stage ${def.name}: check returned ${JSON.stringify(v)}; expected nothing or true (keep), false, a reason string or a Drop (remove)`);
  };
  return {
    name: def.name,
    description: def.description ?? '',
    defaults: def.defaults,
    ranges: def.ranges,
    languageDefaults: def.languageDefaults,
    create(options, ctx) {
      const annotate = ctx.annotate === true;
      const count = (e: string, n?: number) => ctx.count(e, n);
      const log = (m: string) => ctx.log(m);
      return {
        name: def.name,
        apply: (doc) => {
          const tools: FilterTools = Object.assign(measurements((m, v) => ctx.observe(m, v, doc), annotate), { count, log });
          return verdictToResult(doc, def.check(doc.text, options, doc, tools) ?? tools.drop);
        },
      };
    },
  };
}
