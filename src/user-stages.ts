/**
 * Stages from the user's own modules (issue #17): a config entry `- module: ./filters/x.js`
 * names a file (relative to the config's folder, absolute, or a package resolved from that
 * folder) whose default export is a StageModule (or a `textFilter(...)`). The run resolves it
 * once, at start, to an absolute file URL and the SHA-256 of that file, both recorded in
 * run.json; every task (worker thread, `refinery task` on a Slurm node) loads the recorded URL
 * through `loadStageModule`, so all executors load it the same way, and a file changed since
 * the run started fails the task instead of mixing two versions in one output.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RefineryError } from './errors.js';
import type { StageModule } from './stage.js';
import type { Registry, StageEntry } from './config.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStageModule = StageModule<any>;

export interface LoadedStage {
  module: AnyStageModule;
  /** Absolute `file:` URL of the module's entry file. */
  url: string;
  /** SHA-256 (hex) of that file's bytes when it was loaded. */
  sha256: string;
}

/**
 * The file a config's `module:` value names: `./x.js`, `../x.js` and absolute paths from
 * `baseDir` (the config's folder), `file:` URLs as they are, anything else a package (or
 * `package/subpath`) looked up in the node_modules folders above `baseDir`.
 */
export function resolveModuleFile(spec: string, baseDir: string): string {
  if (spec.startsWith('file:')) return fileURLToPath(spec);
  if (isAbsolute(spec) || spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') return resolve(baseDir, spec);
  return resolvePackage(spec, baseDir);
}

/** Conditions of `exports` that an ESM import in Node matches. */
const CONDITIONS = new Set(['node', 'import', 'default']);

/**
 * A package's file for `import(spec)` from `baseDir`, per Node's ESM resolution: package.json
 * `exports` (subpaths, `*` patterns, conditions node/import/default), else `main`, else
 * index.js. Node 20's `import.meta.resolve` cannot resolve from another folder, hence this.
 */
function resolvePackage(spec: string, baseDir: string): string {
  const m = /^((?:@[^/]+\/)?[^/]+)(\/.*)?$/.exec(spec);
  if (!m) throw new Error(`"${spec}" is neither a path (./x.js, /abs/x.js) nor a package name`);
  const name = m[1]!;
  const subpath = m[2] ? `.${m[2]}` : '.';
  const folders = createRequire(join(baseDir, 'config.yaml')).resolve.paths(name) ?? [];
  for (const folder of folders) {
    const pkgDir = join(folder, name);
    const pkgFile = join(pkgDir, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: unknown; main?: string };
    if (pkg.exports !== undefined) {
      const target = exportsTarget(pkg.exports, subpath);
      if (target === undefined) throw new Error(`package ${name} (${pkgDir}) does not export "${subpath}" for import (its package.json "exports")`);
      return join(pkgDir, target);
    }
    if (subpath !== '.') return join(pkgDir, subpath);
    const main = pkg.main ?? 'index.js';
    return [main, `${main}.js`, join(main, 'index.js')].map((f) => join(pkgDir, f)).find((f) => existsSync(f) && statSync(f).isFile()) ?? join(pkgDir, main);
  }
  throw new Error(`package "${name}" not found in node_modules above ${baseDir} (install it there, or give a path: ./${spec})`);
}

function exportsTarget(exports: unknown, subpath: string): string | undefined {
  const isSubpathMap = typeof exports === 'object' && exports !== null && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? conditionTarget(exports) : undefined;
  const map = exports as Record<string, unknown>;
  if (subpath in map) return conditionTarget(map[subpath]);
  // The longest matching `*` pattern wins, as in Node.
  let best: { key: string; match: string } | undefined;
  for (const key of Object.keys(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [pre, post] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.length >= key.length - 1 && subpath.startsWith(pre) && subpath.endsWith(post) && (!best || key.length > best.key.length)) {
      best = { key, match: subpath.slice(pre.length, subpath.length - post.length) };
    }
  }
  return best && conditionTarget(map[best.key])?.replaceAll('*', best.match);
}

function conditionTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const t = conditionTarget(v);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    // The first key (in the file's order) that is an active condition decides.
    for (const [k, v] of Object.entries(value)) if (CONDITIONS.has(k)) return conditionTarget(v);
  }
  return undefined;
}

const loaded = new Map<string, Promise<LoadedStage>>();

/**
 * Load (once per process or thread) the stage module at `url` and check its default export.
 * `where` names the config entry in errors; `expectSha256` (from run.json) refuses a file that
 * changed since the run started. Every error is ERR_CONFIG: the config names something unusable.
 */
export async function loadStageModule(url: string, where: string, expectSha256?: string): Promise<LoadedStage> {
  if (!loaded.has(url)) {
    const p = importStage(url, where);
    loaded.set(url, p);
    p.catch(() => loaded.delete(url)); // a failure is not kept here: the next call says it again
  }
  const stage = await loaded.get(url)!;
  if (expectSha256 !== undefined && stage.sha256 !== expectSha256) {
    throw new RefineryError('ERR_CONFIG', `${where}: module ${fileURLToPath(url)} changed since the run started (sha256 ${stage.sha256.slice(0, 12)}..., run.json has ${expectSha256.slice(0, 12)}...): restore it, or start a new run in another --output`);
  }
  return stage;
}

async function importStage(url: string, where: string): Promise<LoadedStage> {
  const file = fileURLToPath(url);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a folder, not a file' : (e as Error).message;
    throw new RefineryError('ERR_CONFIG', `${where}: module ${file}: ${why}`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let ns: Record<string, unknown>;
  try {
    ns = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const hint = /\.(ts|mts|cts)$/.test(file) ? ' (Node runs JavaScript: compile it with tsc and name the .js file)' : '';
    throw new RefineryError('ERR_CONFIG', `${where}: module ${file} could not be loaded: ${(e as Error)?.message ?? String(e)}${hint}`);
  }
  return { module: asStageModule(ns.default, `${where}: module ${file}`), url, sha256 };
}

/** A stage's name is a stats key and a column prefix (`<name>_reason` in annotate mode). */
const STAGE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const RULE_KINDS = new Set(['int', 'number', 'enum', 'perKey']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

/** Options go to run.json and to worker threads: JSON values only. */
function isJsonValue(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJsonValue);
  return isPlainObject(v) && Object.values(v).every(isJsonValue);
}

/** The default export as a StageModule, or an error saying what is missing. */
function asStageModule(value: unknown, where: string): AnyStageModule {
  const how = 'export default textFilter({...}) from "refinery", or a StageModule {name, defaults, create} (docs/writing-a-stage.md)';
  if (value === undefined) throw new RefineryError('ERR_CONFIG', `${where} does not export a stage: it has no default export (${how})`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RefineryError('ERR_CONFIG', `${where} does not export a stage: its default export is ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not a stage module (${how})`);
  }
  const m = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof m.name !== 'string' || !STAGE_NAME.test(m.name)) problems.push(`name must be letters, digits and _ starting with a letter (it names the stage in stats.json and columns), got ${JSON.stringify(m.name)}`);
  if (!isPlainObject(m.defaults) || !isJsonValue(m.defaults)) problems.push('defaults must be an object of JSON values (each option with its default; {} for none)');
  if (typeof m.create !== 'function') problems.push('create(options, ctx) must be a function returning the stage {name, apply(doc)}');
  if (m.description !== undefined && typeof m.description !== 'string') problems.push('description must be a string');
  if (m.perLanguage !== undefined && m.perLanguage !== 'route' && m.perLanguage !== 'self') problems.push(`perLanguage must be "route" or "self", got ${JSON.stringify(m.perLanguage)}`);
  if (m.languageDefaults !== undefined && !(isPlainObject(m.languageDefaults) && isJsonValue(m.languageDefaults))) problems.push('languageDefaults must be an object of language code -> options');
  if (m.ranges !== undefined) {
    if (!isPlainObject(m.ranges)) problems.push('ranges must be an object of option -> int(...)/num(...)/fraction()/oneOf(...)');
    else {
      for (const [k, rule] of Object.entries(m.ranges)) {
        if (isPlainObject(m.defaults) && !(k in m.defaults)) problems.push(`ranges.${k}: no such option in defaults`);
        if (!isPlainObject(rule) || !RULE_KINDS.has(rule.kind as string)) problems.push(`ranges.${k}: not a rule made by int(), num(), fraction() or oneOf()`);
      }
    }
  }
  if (problems.length) throw new RefineryError('ERR_CONFIG', `${where} does not export a valid stage: ${problems.join('; ')}`);
  return m as unknown as AnyStageModule;
}

/** `module:` entries of a raw config's `stages:` list, loaded: entry index -> stage. */
export async function loadConfigModules(rawStages: unknown, configFile: string): Promise<Map<number, LoadedStage>> {
  const out = new Map<number, LoadedStage>();
  if (!Array.isArray(rawStages)) return out;
  const baseDir = dirname(resolve(configFile));
  for (const [i, entry] of rawStages.entries()) {
    if (!isPlainObject(entry) || !('module' in entry)) continue;
    const spec = entry.module;
    const where = `stages[${i}] (module: ${JSON.stringify(spec)})`;
    if (typeof spec !== 'string' || spec === '') throw new RefineryError('ERR_CONFIG', `${where}: expected a path (./filters/x.js) or a package name`);
    let file: string;
    try {
      file = resolveModuleFile(spec, baseDir);
    } catch (e) {
      throw new RefineryError('ERR_CONFIG', `${where}: ${(e as Error).message}`);
    }
    out.set(i, await loadStageModule(pathToFileURL(file).href, where));
  }
  return out;
}

/**
 * The module of `stages[index]` of a run: a user's module from the file recorded in run.json
 * (loaded as the orchestrator did), else the registry's stage of that name. Every place that
 * creates a run's stages (tasks, `refinery explain`) goes through here.
 */
export async function stageModuleOf(entry: StageEntry, index: number, registry: Pick<Registry, 'stageModules'>): Promise<AnyStageModule> {
  if (entry.module) return (await loadStageModule(entry.module, `stages[${index}].${entry.name}`, entry.sha256)).module;
  const mod = registry.stageModules[entry.name];
  if (!mod) throw new RefineryError('ERR_CONFIG', `stages[${index}]: the run's stage ${entry.name} is not in this refinery`);
  return mod;
}
