/**
 * The filter stages are registered under their config names, their defaults are valid
 * options (snake_case keys), and the preset stage lists proposed for configs/refinedweb.yaml
 * and configs/fineweb.yaml validate against them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { stageModules } from '../../stages/index.js';
import { validateOptions } from '../../src/options.js';
import { RefineryError } from '../../src/errors.js';

const FILTERS = ['url_filter', 'gopher_repetition', 'gopher_quality', 'line_corrections', 'c4_filters', 'fineweb_quality', 'pii'];

// RW Table 2 order (language ID and extraction are other stages, named here for the order).
const REFINEDWEB = `
stages:
  - url_filter:
      blocklist_dirs: [/data/ut1/blacklists]
      soft_threshold: 2
      exclude_curated: false
  - gopher_repetition: {}
  - gopher_quality: {}
  - line_corrections:
      max_removed_words_frac: 0.05
`;

// FineWeb's order: Gopher repetition, Gopher quality, C4, FineWeb; PII after dedup.
const FINEWEB = `
stages:
  - url_filter: {}
  - gopher_repetition: {}
  - gopher_quality: {}
  - c4_filters:
      filter_no_terminal_punct: false
  - fineweb_quality: {}
  - pii: {}
`;

test('registry: every filter stage is registered under its name with snake_case option keys', () => {
  for (const name of FILTERS) {
    const m = stageModules[name];
    assert.ok(m, `${name} registered`);
    assert.equal(m.name, name);
    for (const key of Object.keys(m.defaults)) assert.match(key, /^[a-z0-9_]+$/, `${name}.${key}`);
    assert.deepEqual(validateOptions(name, m.defaults, {}), m.defaults);
  }
});

test('registry: the RefinedWeb and FineWeb preset stage lists validate', () => {
  for (const yaml of [REFINEDWEB, FINEWEB]) {
    const stages = (parse(yaml) as { stages: Record<string, unknown>[] }).stages;
    for (const entry of stages) {
      const [name, options] = Object.entries(entry)[0]!;
      const m = stageModules[name]!;
      const c = validateOptions(name, m.defaults, options);
      assert.equal(typeof c, 'object');
    }
  }
});

test('registry: a wrong option is a config error naming the key', () => {
  assert.throws(
    () => validateOptions('gopher_quality', stageModules['gopher_quality']!.defaults, { min_words: 'fifty' }),
    (e: unknown) => e instanceof RefineryError && /gopher_quality\.min_words/.test(e.message),
  );
  assert.throws(() => validateOptions('pii', stageModules['pii']!.defaults, { anonymise: true }), /unknown option/);
});
