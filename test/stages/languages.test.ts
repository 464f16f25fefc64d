/**
 * RefinedWeb-Europe's per-language rules (spec §10, docs/languages.md): real German, French and
 * Spanish text (the lingua sentences, from the Leipzig corpora) kept or removed by its own
 * language's thresholds, through the config (`per_language` + each stage's built-in table) and
 * the framework's routing by `doc.language`; the words of each language; per-language
 * boilerplate lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newDoc, type Doc } from '../../src/doc.js';
import { createStage, isDrop, type Drop, type Stage, type StepResult } from '../../src/stage.js';
import { resolveConfig } from '../../src/config.js';
import { RefineryError } from '../../src/errors.js';
import { sharedData } from '../../src/paths.js';
import { LID176_CODES } from '../../src/languages.js';
import * as registry from '../../stages/index.js';
import { tokenize, tokenizeReference, wordStrings } from '../../stages/text/words.js';
import { bundledLidModelPath, loadFastText } from '../../stages/language/fasttext.js';
import { recordingContext } from './helpers.js';

const lingua = sharedData('langid', 'lingua', 'sentences');

function sentences(lang: string): string[] {
  return readFileSync(join(lingua!, `${lang}.txt`), 'utf8').split('\n').filter((l) => l.trim());
}

/** A stage as a run creates it: options resolved from YAML-shaped config, then createStage. */
async function stage(name: string, options: Record<string, unknown> = {}): Promise<Stage> {
  const config = resolveConfig({ stages: [{ [name]: options }] }, registry);
  const { options: resolved } = config.stages[0]!;
  return createStage(registry.stageModules[name]!, resolved, recordingContext());
}

async function apply(s: Stage, text: string, language: string): Promise<StepResult> {
  return s.apply(newDoc({ id: 'x', text, language }));
}

function reason(r: StepResult): string | undefined {
  return isDrop(r) ? (r as Drop).reason : undefined;
}

test('config: per_language keys must be lid.176 codes, its options are checked by key, and the code list is the model\'s', () => {
  const bad = (raw: unknown, re: RegExp) =>
    assert.throws(() => resolveConfig(raw, registry), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CONFIG' && re.test(e.message));
  bad({ stages: [{ gopher_quality: { per_language: { ger: { min_words: 10 } } } }] }, /stages\[0\]\.gopher_quality\.per_language\.ger: not a language code the language-ID model \(fastText lid\.176\) emits/);
  bad({ stages: [{ gopher_quality: { per_language: { de: { min_wrds: 10 } } } }] }, /gopher_quality\.per_language\.de\.min_wrds: unknown option/);
  bad({ stages: [{ gopher_quality: { per_language: { de: { min_words: 'ten' } } } }] }, /per_language\.de\.min_words: expected a number/);
  bad({ stages: [{ gopher_quality: { per_language: ['de'] } }] }, /gopher_quality\.per_language: expected a mapping of language code to options/);
  const model = loadFastText(bundledLidModelPath());
  assert.deepEqual([...LID176_CODES].sort(), model.info.labels.map((l) => l.replace('__label__', '')).sort());
});

test('config: per-language options = defaults < built-in table < options for every language < per_language', () => {
  const opts = (given: unknown) => resolveConfig({ stages: [{ gopher_quality: given }] }, registry).stages[0]!.options as Record<string, any>;
  const table = opts({});
  assert.equal(table.min_words, 50);
  assert.deepEqual(table.stop_words, ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'], 'English keeps RefinedWeb\'s');
  assert.equal(table.per_language.en, undefined, 'no English entry: English is the defaults');
  assert.equal(table.per_language.de.max_mean_word_length, 15, 'FineWeb-2 deu_Latn');
  assert.equal(table.per_language.de.stop_words[0], 'der');
  const given = opts({ min_words: 80, max_mean_word_length: 12, per_language: { de: { max_mean_word_length: 16 }, sv: { min_words: 40 } } });
  assert.equal(given.per_language.de.min_words, 80, 'a top-level option applies to every language');
  assert.equal(given.per_language.fr.max_mean_word_length, 12, 'and beats the table');
  assert.equal(given.per_language.de.max_mean_word_length, 16, 'per_language beats both');
  assert.equal(given.per_language.sv.min_words, 40);
  assert.equal(given.per_language.sv.stop_words[0], 'i', 'the table still fills what is not given');
});

test('gopher_quality on real German and French text: kept by its own stop words, removed as gopher_enough_stop_words under English rules', { skip: !lingua && 'no lingua sentences' }, async () => {
  const s = await stage('gopher_quality');
  for (const lang of ['de', 'fr']) {
    const page = sentences(lang).slice(0, 30).join('\n');
    assert.equal(reason(await apply(s, page, lang)), undefined, `${lang} page kept by ${lang} rules`);
    assert.equal(reason(await apply(s, page, 'en')), 'gopher_enough_stop_words', `${lang} page judged as English`);
  }
});

test('gopher_repetition on real Spanish text: 7 of 27 lines repeated (0.259) is removed by Spanish dup_line_frac 0.252, kept by English 0.30', { skip: !lingua && 'no lingua sentences' }, async () => {
  const es = sentences('es');
  const body = es.slice(0, 13);
  const short = [...es.slice(20, 200)].sort((a, b) => a.length - b.length).slice(0, 7);
  // 13 lines + 7 short lines twice = 27 lines, 7 repeats; few characters (line-character rule 0.2 not hit)
  const page = [...body.slice(0, 7), ...short, ...body.slice(7), ...short].join('\n');
  const s = await stage('gopher_repetition');
  assert.equal(reason(await apply(s, page, 'en')), undefined);
  const r = await apply(s, page, 'es');
  assert.equal(reason(r), 'dup_line_frac');
  assert.equal((r as Drop).detail, `${(7 / 27).toFixed(4)}>0.252`);
});

test('words: French and Italian elisions split after the apostrophe, listed words stay whole; English as before', () => {
  const fr = "L'homme d'affaires est aujourd'hui là, qu’il dit.";
  assert.deepEqual(wordStrings(tokenize(fr, 'fr')), ["L'", 'homme', "d'", 'affaires', 'est', "aujourd'hui", 'là', ',', 'qu’', 'il', 'dit', '.']);
  assert.deepEqual(wordStrings(tokenize("dell'anno", 'it')), ["dell'", 'anno']);
  assert.deepEqual(wordStrings(tokenize(fr, 'en')), wordStrings(tokenize(fr)));
  assert.deepEqual(wordStrings(tokenize("L'homme it's", 'en')), ["L'homme", 'it', "'s"]);
  // German keeps one-hyphen compounds, no English clitic split; English splits both
  assert.deepEqual(wordStrings(tokenize("Die E-Mail-Adresse, geht's", 'de')), ['Die', 'E-Mail-Adresse', ',', "geht's"]);
  assert.deepEqual(wordStrings(tokenize("auto's", 'nl')), ["auto's"]);
  assert.deepEqual(wordStrings(tokenize('E-Mail', 'en')), ['E', '-', 'Mail']);
});

test('words: Thai is cut into dictionary words (Intl.Segmenter), not one word per run', () => {
  const w = wordStrings(tokenize('ภาษาไทยเป็นภาษาที่สวยงาม and more', 'th'));
  assert.ok(w.length >= 6, JSON.stringify(w));
  assert.equal(w.slice(0, -2).join(''), 'ภาษาไทยเป็นภาษาที่สวยงาม');
  assert.deepEqual(w.slice(-2), ['and', 'more']);
});

test('words: the plain-word shortcut gives the reference split in every language profile (lingua sentences)', { skip: !lingua && 'no lingua sentences' }, () => {
  for (const lang of ['en', 'de', 'fr', 'it', 'es', 'pt', 'pl', 'nl', 'ro', 'cs', 'sv', 'th']) {
    const text = sentences(lang).slice(0, 300).join('\n');
    assert.deepEqual(wordStrings(tokenize(text, lang)), wordStrings(tokenizeReference(text, lang)), lang);
  }
});

test('line_corrections: German "Weiterlesen" and "12 Kommentare", French "Lire la suite" are boilerplate in their language only', async () => {
  const body = Array(30).fill('Dies ist eine ganz normale Zeile mit Text').join('\n');
  const s = await stage('line_corrections', { max_removed_words_frac: 1 });
  const de = (await apply(s, `${body}\nDie Regierung hat heute entschieden Weiterlesen\n12 Kommentare`, 'de')) as Doc;
  assert.equal(de.text, `${body}\nDie Regierung hat heute entschieden`);
  const en = (await apply(s, `${body}\nDie Regierung hat heute entschieden Weiterlesen\n12 Kommentare`, 'en')) as Doc;
  assert.equal(en.text, `${body}\nDie Regierung hat heute entschieden Weiterlesen\n12 Kommentare`);
  const fr = (await apply(s, `${body}\nLe gouvernement a décidé. Lire la suite`, 'fr')) as Doc;
  assert.equal(fr.text, `${body}\nLe gouvernement a décidé.`);
});
