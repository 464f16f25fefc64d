/**
 * Run configuration: a YAML preset (configs/refinedweb.yaml) validated at start, with errors
 * that name the key and what was expected. Stage and pass options are checked against each
 * module's typed defaults (src/options.ts), so the registry is the schema.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { RefineryError } from './errors.js';
import { fraction, int, oneOf, validateOptions, validateStageOptions, type OptionRanges } from './options.js';
import { isLanguageCode } from './languages.js';
import type { StageModule } from './stage.js';
import type { CorpusStep } from './pass.js';
import { SLURM_DEFAULTS, SLURM_RANGES, type SlurmOptions } from './executors/slurm-options.js';
import { loadConfigModules, type LoadedStage } from './user-stages.js';

export interface ReaderOptions {
  /** Pages (decoded HTML) larger than this are skipped as `too_large`. */
  max_page_bytes: number;
  /** Cap on a body still compressed in the WARC (Content-Encoding), against compression bombs. */
  max_inflated_bytes: number;
  /** Longest JSONL line of a corpus input held in memory; longer lines are skipped as `too_large`. */
  max_line_bytes: number;
  /** Fail the task on the first bad record instead of counting it and going on. */
  strict: boolean;
}

export interface OutputOptions {
  /** `parquet` (default), `jsonl`, `jsonl.gz`. */
  format: string;
  /** Roll a new shard when the current one holds this many bytes of text. */
  shard_bytes: number;
  /** Rows per Parquet row group (bounds a reader's memory). */
  row_group_rows: number;
  zstd_level: number;
  /** Also write removed documents, with `stage` and `reason`, to `<pass>/excluded/`. */
  excluded: boolean;
  /** Keep each document's origin and streaming fate for `refinery explain` (`filter/explain/`). */
  explain: boolean;
  /** Removed/kept documents sampled per (stage, reason) for the report. */
  samples_per_reason: number;
  /** Rows per final training shard (`final/part-*.parquet`). */
  final_shard_rows: number;
  /** If > 0: bytes per final shard instead (converted to rows at the corpus' mean row size). */
  final_shard_bytes: number;
  /** Final shards written per task. */
  final_parts_per_task: number;
  /** Final shards per document language: `final/<lang>/part-*` with a manifest each (and one overall). */
  by_language: boolean;
}

/** A streaming stage of a run: a registered one by name, or one from a user's module file. */
export interface StageEntry {
  name: string;
  options: Record<string, unknown>;
  /** `- module:` entries: the module's absolute file URL, resolved once at start (src/user-stages.ts). */
  module?: string;
  /** SHA-256 of that file at start: a task refuses a file changed since. */
  sha256?: string;
}

export interface RunConfig {
  /** `filter` (default): stages remove documents; `annotate`: they only record why (src/pipeline.ts). */
  mode?: 'filter' | 'annotate';
  reader: ReaderOptions;
  stages: StageEntry[];
  output: OutputOptions;
  passes: { name: string; options: Record<string, unknown> }[];
  /** Used by `--executor slurm` only. */
  slurm: SlurmOptions;
}

export const READER_DEFAULTS: ReaderOptions = {
  max_page_bytes: 2_000_000,
  max_inflated_bytes: 20_000_000,
  max_line_bytes: 32_000_000,
  strict: false,
};

export const OUTPUT_DEFAULTS: OutputOptions = {
  format: 'parquet',
  shard_bytes: 256 * 1024 * 1024,
  row_group_rows: 10_000,
  zstd_level: 3,
  excluded: false,
  explain: false,
  samples_per_reason: 20,
  final_shard_rows: 100_000,
  final_shard_bytes: 0,
  final_parts_per_task: 8,
  by_language: false,
};

export const READER_RANGES: OptionRanges<ReaderOptions> = {
  max_page_bytes: int(1),
  max_inflated_bytes: int(1),
  max_line_bytes: int(1),
};

// Row groups and shards are held in memory while written: bounded so a typo cannot ask for 1e300.
export const OUTPUT_RANGES: OptionRanges<OutputOptions> = {
  format: oneOf('parquet', 'jsonl', 'jsonl.gz'),
  shard_bytes: int(1, 2 ** 40),
  row_group_rows: int(1, 10_000_000),
  zstd_level: int(1, 22),
  samples_per_reason: int(0, 100_000),
  final_shard_rows: int(1, 2 ** 31 - 1),
  final_shard_bytes: int(0, 2 ** 40),
  final_parts_per_task: int(1, 100_000),
};

export interface Registry {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  stageModules: Record<string, StageModule<any>>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  corpusSteps: Record<string, CorpusStep<any>>;
}

/**
 * Read, check and resolve a config file. `- module:` stage entries are loaded here, relative to
 * the file's folder, so a missing or invalid module stops the run before anything is written.
 */
export async function loadConfigFile(file: string, registry: Registry): Promise<RunConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RefineryError('ERR_CONFIG', `cannot read config: ${(e as Error).message}`, { file });
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    throw new RefineryError('ERR_CONFIG', `not valid YAML: ${(e as Error).message}`, { file });
  }
  try {
    const modules = await loadConfigModules((raw as { stages?: unknown } | null)?.stages, file);
    return resolveConfig(raw, registry, modules);
  } catch (e) {
    if (e instanceof RefineryError) throw new RefineryError(e.code, e.message, { file });
    throw e;
  }
}

/**
 * Validate a parsed config object and fill in every default. `modules`: the `- module:` stage
 * entries already loaded, by index in `stages:` (loadConfigFile loads them).
 */
export function resolveConfig(raw: unknown, registry: Registry, modules: ReadonlyMap<number, LoadedStage> = new Map()): RunConfig {
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new RefineryError('ERR_CONFIG', 'the config must be a mapping with keys reader, stages, output, passes');
  const top = raw as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!['reader', 'stages', 'output', 'passes', 'slurm', 'mode'].includes(key)) {
      throw new RefineryError('ERR_CONFIG', `${key}: unknown section (known: reader, stages, output, passes, slurm, mode)`);
    }
  }
  if (top.mode !== undefined && top.mode !== 'filter' && top.mode !== 'annotate') {
    throw new RefineryError('ERR_CONFIG', `mode: expected filter or annotate, got ${JSON.stringify(top.mode)}`);
  }
  const output = validateOptions('output', OUTPUT_DEFAULTS, top.output, OUTPUT_RANGES);
  return {
    ...(top.mode === 'annotate' ? { mode: 'annotate' as const } : {}),
    reader: validateOptions('reader', READER_DEFAULTS, top.reader, READER_RANGES),
    stages: resolveList('stages', top.stages, registry.stageModules, modules),
    output,
    passes: resolveList('passes', top.passes, registry.corpusSteps, new Map()),
    slurm: resolveSlurm(top.slurm),
  };
}

/** Slurm options, plus `per_pass: {<pass>: {mem_per_cpu_mb: ...}}` overrides checked key by key. */
function resolveSlurm(raw: unknown): SlurmOptions {
  const given = raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : raw;
  const perPass = given && typeof given === 'object' ? (given as Record<string, unknown>).per_pass : undefined;
  if (given && typeof given === 'object') delete (given as Record<string, unknown>).per_pass;
  const { per_pass: _ignored, ...base } = SLURM_DEFAULTS;
  const opts = { ...validateOptions('slurm', base, given, SLURM_RANGES), per_pass: {} } as SlurmOptions;
  if (perPass !== undefined) {
    if (!perPass || typeof perPass !== 'object' || Array.isArray(perPass)) throw new RefineryError('ERR_CONFIG', 'slurm.per_pass: expected a mapping of pass name to options');
    for (const [pass, o] of Object.entries(perPass as Record<string, unknown>)) {
      const full = validateOptions(`slurm.per_pass.${pass}`, base, o, SLURM_RANGES);
      opts.per_pass[pass] = Object.fromEntries(Object.keys(o as object).map((k) => [k, (full as Record<string, unknown>)[k]]));
    }
  }
  return opts;
}

/** What checks an entry's options: a module's defaults, ranges and built-in per-language values. */
type OptionsSchema = { defaults: object; ranges?: OptionRanges<object>; languageDefaults?: Record<string, object> };

/**
 * A list of `- name: {options}` (or a bare `- name`) entries, each checked against its module;
 * in `stages:` also `- module: <path>` with `options: {...}`, checked against the loaded module.
 */
function resolveList(
  section: string,
  raw: unknown,
  registered: Record<string, OptionsSchema>,
  modules: ReadonlyMap<number, LoadedStage>,
): StageEntry[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new RefineryError('ERR_CONFIG', `${section}: expected a list of \`- name: {options}\` entries`);
  return raw.map((entry, i) => {
    let name: string;
    let given: unknown;
    let mod: OptionsSchema | undefined;
    let from: LoadedStage | undefined;
    if (entry && typeof entry === 'object' && !Array.isArray(entry) && 'module' in entry) {
      if (section !== 'stages') throw new RefineryError('ERR_CONFIG', `${section}[${i}]: \`module:\` entries are for streaming stages (\`stages:\`); a corpus pass cannot come from a module`);
      const extra = Object.keys(entry).filter((k) => k !== 'module' && k !== 'options');
      if (extra.length) throw new RefineryError('ERR_CONFIG', `${section}[${i}]: a module entry takes \`module:\` and \`options:\` only, got ${extra.join(', ')}`);
      from = modules.get(i);
      if (!from) throw new RefineryError('ERR_CONFIG', `${section}[${i}]: a module entry needs its config read from a file (its path is relative to the file's folder)`);
      name = from.module.name;
      if (registered[name]) {
        throw new RefineryError('ERR_CONFIG', `${section}[${i}] (module ${fileURLToPath(from.url)}): its stage name "${name}" is a built-in stage's; give the module's stage another name`);
      }
      mod = from.module;
      given = (entry as { options?: unknown }).options;
    } else if (typeof entry === 'string') {
      name = entry;
    } else if (entry && typeof entry === 'object' && !Array.isArray(entry) && Object.keys(entry).length === 1) {
      [name, given] = Object.entries(entry)[0]!;
    } else {
      throw new RefineryError('ERR_CONFIG', `${section}[${i}]: expected \`- name: {options}\` with exactly one name${section === 'stages' ? ', or `- module: <path>`' : ''}`);
    }
    mod ??= registered[name];
    if (!mod) {
      throw new RefineryError('ERR_CONFIG', `${section}[${i}]: unknown ${section === 'stages' ? 'stage' : 'pass'} "${name}" (known: ${Object.keys(registered).join(', ') || 'none'}${section === 'stages' ? '; or `- module: ./your-stage.js`' : ''})`);
    }
    const where = `${section}[${i}].${name}`;
    let options: object;
    try {
      // Streaming stages take options per document language; corpus passes see all languages at once.
      options = section === 'stages'
        ? validateStageOptions(where, mod.defaults, given, mod.languageDefaults, isLanguageCode, mod.ranges)
        : validateOptions(where, mod.defaults, given, mod.ranges);
    } catch (e) {
      // A module's options are checked against its own defaults: say which file declared them.
      if (from && e instanceof RefineryError) throw new RefineryError(e.code, `${e.message} (options of module ${fileURLToPath(from.url)})`);
      throw e;
    }
    return { name, options: options as Record<string, unknown>, ...(from ? { module: from.url, sha256: from.sha256 } : {}) };
  });
}
