/**
 * Checks a stage's (or section's) options from YAML against its typed defaults: every key must
 * exist in the defaults and have the same type. This gives errors that name the key and what
 * was expected, without a schema library: the defaults object *is* the schema.
 * A default of `null` accepts a string or null (optional paths, lists given by file).
 */
import { RefineryError } from './errors.js';

export function validateOptions<C extends object>(where: string, defaults: C, given: unknown): C {
  if (given === undefined || given === null) return structuredClone(defaults);
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new RefineryError('ERR_CONFIG', `${where}: expected a mapping of options, got ${describe(given)}`);
  }
  const out: Record<string, unknown> = structuredClone(defaults) as Record<string, unknown>;
  for (const [key, value] of Object.entries(given as Record<string, unknown>)) {
    if (!(key in defaults)) {
      const known = Object.keys(defaults).join(', ') || '(none)';
      throw new RefineryError('ERR_CONFIG', `${where}.${key}: unknown option (known: ${known})`);
    }
    const def = (defaults as Record<string, unknown>)[key];
    out[key] = checkValue(`${where}.${key}`, def, value);
  }
  return out as C;
}

function checkValue(path: string, def: unknown, value: unknown): unknown {
  if (def === null) {
    if (value === null || typeof value === 'string') return value;
    throw new RefineryError('ERR_CONFIG', `${path}: expected a string or null, got ${describe(value)}`);
  }
  if (Array.isArray(def)) {
    if (!Array.isArray(value)) throw new RefineryError('ERR_CONFIG', `${path}: expected a list, got ${describe(value)}`);
    if (def.length > 0) value.forEach((v, i) => checkValue(`${path}[${i}]`, def[0], v));
    return value;
  }
  if (typeof def === 'object') return validateOptions(path, def as object, value);
  if (typeof value !== typeof def) {
    throw new RefineryError('ERR_CONFIG', `${path}: expected a ${typeof def} (like ${JSON.stringify(def)}), got ${describe(value)}`);
  }
  return value;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
