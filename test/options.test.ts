// Option ranges (src/options.ts): declared next to a module's defaults, checked at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fraction, int, oneOf, perKey, validateOptions, type OptionRanges } from '../src/options.js';
import { RefineryError } from '../src/errors.js';
import { OUTPUT_DEFAULTS, OUTPUT_RANGES, READER_DEFAULTS, READER_RANGES } from '../src/config.js';
import { SLURM_DEFAULTS, SLURM_RANGES } from '../src/executors/slurm-options.js';
import { corpusSteps, stageModules } from '../stages/index.js';

type Demo = { count: number; share: number; mode: string; shares: number[]; per_language: Record<string, Partial<Omit<Demo, 'per_language'>>> };
const defaults: Demo = { count: 3, share: 0.5, mode: 'a', shares: [0.1], per_language: {} };
const ranges: OptionRanges<Demo> = { count: int(1, 10), share: fraction(), mode: oneOf('a', 'b'), shares: fraction(), per_language: perKey() };

const rejects = (given: unknown, re: RegExp) =>
  assert.throws(() => validateOptions('stages[2].demo', defaults, given, ranges), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CONFIG' && re.test(e.message), String(re));

test('ranges: integers, fractions, enums and list elements, errors name the key path and value', () => {
  assert.deepEqual(validateOptions('x', defaults, { count: 10, share: 1, mode: 'b', shares: [0, 1] }, ranges), { count: 10, share: 1, mode: 'b', shares: [0, 1], per_language: {} });
  rejects({ count: 0 }, /^stages\[2\]\.demo\.count: expected an integer in \[1, 10\], got 0$/);
  rejects({ count: 2.5 }, /count: expected an integer in \[1, 10\], got 2\.5/);
  rejects({ count: 1e300 }, /count: expected an integer in \[1, 10\], got 1e\+300/);
  rejects({ share: 7 }, /share: expected a number in \[0, 1\], got 7/);
  rejects({ share: NaN }, /share: expected a finite number \(a number in \[0, 1\]\), got NaN/);
  rejects({ share: Infinity }, /got Infinity/);
  rejects({ mode: 'c' }, /mode: expected one of a, b, got "c"/);
  rejects({ shares: [0.2, -1] }, /shares\[1\]: expected a number in \[0, 1\], got -1/);
});

test('NaN and Infinity are refused even without a declared range (run.json would store null)', () => {
  assert.throws(() => validateOptions('output', { n: 1 }, { n: NaN }), /output\.n: expected a finite number, got NaN/);
  assert.throws(() => validateOptions('output', { n: 1 }, { n: -Infinity }), /got -Infinity/);
});

test('perKey: a map of any key to partial options, checked by the same defaults and ranges', () => {
  const ok = validateOptions('stages[0].demo', defaults, { per_language: { de: { share: 0.7 }, fr: {} } }, ranges);
  assert.deepEqual(ok.per_language, { de: { share: 0.7 }, fr: {} });
  assert.equal(ok.share, 0.5);
  rejects({ per_language: { de: { share: 2 } } }, /^stages\[2\]\.demo\.per_language\.de\.share: expected a number in \[0, 1\], got 2$/);
  rejects({ per_language: { de: { shrae: 2 } } }, /per_language\.de\.shrae: unknown option \(known: count, share, mode, shares\)/);
  rejects({ per_language: { de: { per_language: {} } } }, /per_language\.de\.per_language: unknown option/);
  rejects({ per_language: [1] }, /per_language: expected a mapping of key -> options, got a list/);
});

test('every numeric option of every stage, pass and section declares its range', () => {
  const modules: [string, object, OptionRanges<object> | undefined][] = [
    ['reader', READER_DEFAULTS, READER_RANGES],
    ['output', OUTPUT_DEFAULTS, OUTPUT_RANGES],
    ['slurm', SLURM_DEFAULTS, SLURM_RANGES],
    ...Object.entries(stageModules).map(([k, m]): [string, object, OptionRanges<object> | undefined] => [`stages.${k}`, m.defaults, m.ranges]),
    ...Object.entries(corpusSteps).map(([k, m]): [string, object, OptionRanges<object> | undefined] => [`passes.${k}`, m.defaults, m.ranges]),
  ];
  const missing: string[] = [];
  for (const [name, defs, r] of modules) {
    for (const [key, value] of Object.entries(defs)) {
      const numeric = typeof value === 'number' || (Array.isArray(value) && typeof value[0] === 'number');
      if (numeric && !(r as Record<string, unknown> | undefined)?.[key]) missing.push(`${name}.${key}`);
      // Every default is inside its own range.
      if (r) validateOptions(name, defs, { [key]: value }, r);
    }
  }
  assert.deepEqual(missing, []);
});
