/**
 * Checks a stage's (or section's) options from YAML against its typed defaults: every key must
 * exist in the defaults and have the same type. This gives errors that name the key and what
 * was expected, without a schema library: the defaults object *is* the schema.
 * A default of `null` accepts a string or null (optional paths, lists given by file).
 *
 * Next to its defaults a module may declare `ranges`: per option, the values it accepts
 * (`int(1, 1000)`, `num(0, 1)`, `oneOf('cut', 'dropany')`; for a list, each element), and
 * `perKey()` for an option that maps any key (e.g. a language code) to a partial set of the
 * module's own options, checked by the same defaults and ranges. Every number must be finite
 * (YAML's `.nan`/`.inf` are refused): NaN would be stored as `null` in run.json.
 */
import { RefineryError } from './errors.js';

export type OptionRule =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'number'; min: number; max: number }
  | { kind: 'enum'; values: string[] }
  | { kind: 'perKey' };

/** Declared values of a module's options (keys absent: type check only). */
export type OptionRanges<C> = { [K in keyof C]?: OptionRule };

/** An integer in [min, max] (a count: `int(0)`; a positive count: `int(1)`). */
export const int = (min = 0, max = Number.MAX_SAFE_INTEGER): OptionRule => ({ kind: 'int', min, max });
/** A finite number in [min, max]. */
export const num = (min = -Number.MAX_VALUE, max = Number.MAX_VALUE): OptionRule => ({ kind: 'number', min, max });
/** A probability or fraction. */
export const fraction = (): OptionRule => num(0, 1);
/** One of the given strings. */
export const oneOf = (...values: string[]): OptionRule => ({ kind: 'enum', values });
/** A mapping of any key to a partial set of this module's options (e.g. per language). */
export const perKey = (): OptionRule => ({ kind: 'perKey' });

export function validateOptions<C extends object>(where: string, defaults: C, given: unknown, ranges?: OptionRanges<C>): C {
  if (given === undefined || given === null) return structuredClone(defaults);
  const out: Record<string, unknown> = structuredClone(defaults) as Record<string, unknown>;
  Object.assign(out, checkGiven(where, defaults, given, ranges));
  return out as C;
}

/** The given keys only, each checked against its default's type and its declared range. */
function checkGiven<C extends object>(where: string, defaults: C, given: unknown, ranges: OptionRanges<C> | undefined, nested = false): Record<string, unknown> {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new RefineryError('ERR_CONFIG', `${where}: expected a mapping of options, got ${describe(given)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given as Record<string, unknown>)) {
    const rule = (ranges as Record<string, OptionRule | undefined> | undefined)?.[key];
    if (!(key in defaults) || (nested && rule?.kind === 'perKey')) {
      const known = Object.keys(defaults).filter((k) => !nested || (ranges as Record<string, OptionRule | undefined> | undefined)?.[k]?.kind !== 'perKey');
      throw new RefineryError('ERR_CONFIG', `${where}.${key}: unknown option (known: ${known.join(', ') || '(none)'})`);
    }
    const path = `${where}.${key}`;
    if (rule?.kind === 'perKey') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new RefineryError('ERR_CONFIG', `${path}: expected a mapping of key -> options, got ${describe(value)}`);
      }
      out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, checkGiven(`${path}.${k}`, defaults, v ?? {}, ranges, true)]));
      continue;
    }
    const def = (defaults as Record<string, unknown>)[key];
    out[key] = checkValue(path, def, value, rule);
  }
  return out;
}

function checkValue(path: string, def: unknown, value: unknown, rule?: OptionRule): unknown {
  if (def === null) {
    if (value === null || typeof value === 'string') return value;
    throw new RefineryError('ERR_CONFIG', `${path}: expected a string or null, got ${describe(value)}`);
  }
  if (Array.isArray(def)) {
    if (!Array.isArray(value)) throw new RefineryError('ERR_CONFIG', `${path}: expected a list, got ${describe(value)}`);
    if (def.length > 0) value.forEach((v, i) => checkValue(`${path}[${i}]`, def[0], v, rule));
    return value;
  }
  if (typeof def === 'object') return validateOptions(path, def as object, value);
  if (typeof value !== typeof def) {
    throw new RefineryError('ERR_CONFIG', `${path}: expected a ${typeof def} (like ${JSON.stringify(def)}), got ${describe(value)}`);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RefineryError('ERR_CONFIG', `${path}: expected a finite number${rule ? ` (${expected(rule)})` : ''}, got ${value}`);
  }
  if (rule) checkRule(path, rule, value);
  return value;
}

function checkRule(path: string, rule: OptionRule, value: unknown): void {
  const ok =
    rule.kind === 'enum'
      ? rule.values.includes(value as string)
      : rule.kind === 'perKey' || (typeof value === 'number' && value >= rule.min && value <= rule.max && (rule.kind !== 'int' || Number.isInteger(value)));
  if (!ok) throw new RefineryError('ERR_CONFIG', `${path}: expected ${expected(rule)}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
}

function expected(rule: OptionRule): string {
  if (rule.kind === 'enum') return `one of ${rule.values.join(', ')}`;
  if (rule.kind === 'perKey') return 'a mapping of key -> options';
  const bound = (v: number) => (Math.abs(v) >= Number.MAX_SAFE_INTEGER ? (v < 0 ? '-inf' : 'inf') : String(v));
  return `${rule.kind === 'int' ? 'an integer' : 'a number'} in [${bound(rule.min)}, ${bound(rule.max)}]`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
