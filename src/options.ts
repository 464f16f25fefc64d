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

/** The key under which any stage takes options per document language (`per_language: {de: {...}}`). */
export const PER_LANGUAGE = 'per_language';

/**
 * A stage's options with `per_language` overrides: the options (checked as above) plus, under
 * `per_language`, the full options for each language that has any, i.e. the module's defaults,
 * then its built-in values for that language (`languageDefaults`, data), then the options given
 * for every language, then those given for that language: explicit config beats built-in data,
 * and the more specific key beats the general one. Each language's options are checked like
 * the stage's own (so whatever `validateOptions` checks applies to them too); a language key
 * must be a code the language-ID model emits (`isCode`).
 */
export function validateStageOptions<C extends object>(
  where: string,
  defaults: C,
  given: unknown,
  languageDefaults: Record<string, Partial<C>> | undefined,
  isCode: (code: string) => boolean,
): C & { per_language?: Record<string, C> } {
  let perGiven: unknown;
  let top = given;
  if (given && typeof given === 'object' && !Array.isArray(given) && PER_LANGUAGE in given) {
    const { [PER_LANGUAGE]: p, ...rest } = given as Record<string, unknown>;
    perGiven = p;
    top = rest;
  }
  const base = validateOptions(where, defaults, top);
  if (perGiven !== undefined && (perGiven === null || typeof perGiven !== 'object' || Array.isArray(perGiven))) {
    throw new RefineryError('ERR_CONFIG', `${where}.${PER_LANGUAGE}: expected a mapping of language code to options, got ${describe(perGiven)}`);
  }
  const perLanguage = (perGiven ?? {}) as Record<string, unknown>;
  const codes = [...new Set([...Object.keys(languageDefaults ?? {}), ...Object.keys(perLanguage)])].sort();
  if (codes.length === 0) return base;
  const resolved: Record<string, C> = {};
  for (const code of codes) {
    const at = `${where}.${PER_LANGUAGE}.${code}`;
    if (!isCode(code)) throw new RefineryError('ERR_CONFIG', `${at}: not a language code the language-ID model (fastText lid.176) emits`);
    const own = perLanguage[code];
    if (own !== undefined && (own === null || typeof own !== 'object' || Array.isArray(own))) {
      throw new RefineryError('ERR_CONFIG', `${at}: expected a mapping of options, got ${describe(own)}`);
    }
    if (own && PER_LANGUAGE in own) throw new RefineryError('ERR_CONFIG', `${at}.${PER_LANGUAGE}: not allowed inside ${PER_LANGUAGE}`);
    const builtIn = validateOptions(`${at} (built-in)`, defaults, languageDefaults?.[code] ?? {});
    resolved[code] = validateOptions(at, builtIn, { ...(top as object | undefined), ...(own as object | undefined) });
  }
  return { ...base, [PER_LANGUAGE]: resolved };
}
