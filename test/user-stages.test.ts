// Users' own stages from the config (issue #17): `- module:` entries resolved from the config's
// folder (a path, or a package in node_modules), run by `refinery run` on 2 worker threads and
// by `refinery task` (what Slurm array jobs run) from run.json; clear errors at start, exit 2;
// the public API `refinery` (runtime through package.json `exports`, types through its .d.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { projectDir, refinery, refineryBin } from './helpers/cli.js';
import { readParquetRows } from '../src/formats/parquet.js';
import { isDrop, textFilter, type StepResult } from '../src/stage.js';
import { loadStageModule, resolveModuleFile } from '../src/user-stages.js';
import { newDoc } from '../src/doc.js';
import { RefineryError } from '../src/errors.js';
import { loadConfigFile } from '../src/config.js';
import * as registry from '../stages/index.js';

const examples = join(projectDir, 'examples', 'stages');

/**
 * A user's project as after `npm install refinery`: node_modules/refinery links to this
 * checkout, so `import ... from 'refinery'` goes through its package.json `exports`.
 */
const user = mkdtempSync(join(tmpdir(), 'refinery-user-'));
process.on('exit', () => rmSync(user, { recursive: true, force: true }));
mkdirSync(join(user, 'node_modules'));
symlinkSync(projectDir, join(user, 'node_modules', 'refinery'), 'dir');
mkdirSync(join(user, 'filters'));
copyFileSync(join(examples, 'no-lorem.js'), join(user, 'filters', 'no-lorem.js'));
// A package of stages, import-only `exports` with a subpath pattern (as an ESM package ships).
const pkg = join(user, 'node_modules', 'acme-stages');
mkdirSync(join(pkg, 'lib'), { recursive: true });
writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'acme-stages', type: 'module', exports: { './*': { import: './lib/*.js' } } }));
copyFileSync(join(examples, 'word-stats.js'), join(pkg, 'lib', 'word-stats.js'));

const docsA = [
  { id: 'a0', text: 'First line  \n\n\n\nsecond line here', url: 'https://e.com/a0' },
  { id: 'a1', text: 'Lorem ipsum dolor sit amet, consectetur', url: 'https://e.com/a1' },
  { id: 'a2', text: 'one two three', url: 'https://e.com/a2' },
];
const docsB = [
  { id: 'b0', text: 'alpha beta\t\n\n\ngamma', url: 'https://e.com/b0' },
  { id: 'b1', text: 'Some placeholder text and more', url: 'https://e.com/b1' },
  { id: 'b2', text: 'abcd efgh', url: 'https://e.com/b2' },
];
const writeJsonl = (name: string, docs: object[]) => {
  const p = join(user, name);
  writeFileSync(p, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  return p;
};
const inputs = [writeJsonl('a.jsonl', docsA), writeJsonl('b.jsonl', docsB)];

const config = join(user, 'pipeline.yaml');
writeFileSync(
  config,
  [
    'stages:',
    '  - module: ./filters/no-lorem.js',
    '    options: { max_hits: 0 }',
    '  - module: acme-stages/word-stats',
    '    options: { column_prefix: ws_, digits: 2 }',
    `  - module: ${join(examples, 'tidy-whitespace.js')}`,
    'passes: []',
    'output: { format: jsonl }',
    '',
  ].join('\n'),
);

const jsonlRows = (dir: string) =>
  readdirSync(join(dir, 'final'))
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => readFileSync(join(dir, 'final', f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

test('a filter, an annotator and a formatter from modules run end to end on 2 workers', async () => {
  const out = join(user, 'out');
  const r = refinery(['run', config, '--input', ...inputs, '-o', out, '-w', '2', '-q', '--excluded']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /2 worker\(s\)/);

  // Kept: every document without placeholder text, in input order, tidied and annotated.
  const rows = jsonlRows(out);
  assert.deepEqual(rows.map((x) => x.id), ['a0', 'a2', 'b0', 'b2']);
  const byId = Object.fromEntries(rows.map((x) => [x.id, x]));
  assert.equal(byId.a0!.content, 'First line\n\nsecond line here');
  assert.equal(byId.b0!.content, 'alpha beta\n\ngamma');
  assert.equal(byId.a2!.content, 'one two three');
  assert.deepEqual([byId.a0!.ws_words, byId.a0!.ws_mean_word_length], [5, 4.6]); // 23 letters / 5 words
  assert.deepEqual([byId.a2!.ws_words, byId.a2!.ws_mean_word_length], [3, 3.67]); // 11/3 at digits: 2
  assert.deepEqual([byId.b2!.ws_words, byId.b2!.ws_mean_word_length], [2, 4]);

  // Stats, for free: counts per stage and reason, the filter's histogram, the formatter's events.
  const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
  const filterPass = stats.passes.find((p: { pass: string }) => p.pass === 'filter');
  const stage = (name: string) => filterPass.stages.find((s: { name: string }) => s.name === name);
  assert.deepEqual(filterPass.stages.map((s: { name: string }) => s.name), ['no_lorem', 'word_stats', 'tidy_whitespace']);
  assert.equal(stage('no_lorem').stats.docsIn, 6);
  assert.equal(stage('no_lorem').stats.docsOut, 4);
  assert.equal(stage('no_lorem').stats.dropped.placeholder.docs, 2);
  assert.deepEqual(Object.keys(stage('no_lorem').stats.dropped), ['placeholder']);
  assert.equal(stage('no_lorem').stats.histograms.placeholder_hits.n, 6);
  assert.equal(stage('tidy_whitespace').stats.events.documents_tidied, 2);

  // Excluded output, for free: the removed documents with the stage, reason and measured value.
  const excluded: Record<string, unknown>[] = [];
  for (const f of readdirSync(join(out, 'filter', 'excluded')).filter((x) => x.endsWith('.parquet')).sort()) {
    for await (const row of readParquetRows(readFileSync(join(out, 'filter', 'excluded', f)))) excluded.push(row as Record<string, unknown>);
  }
  assert.deepEqual(excluded.map((x) => [x.id, x.stage, x.reason, x.value]), [['a1', 'no_lorem', 'placeholder', 2], ['b1', 'no_lorem', 'placeholder', 1]]);

  // run.json records each module once, as an absolute file URL with the file's hash.
  const manifest = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  const files = [join(user, 'filters', 'no-lorem.js'), join(pkg, 'lib', 'word-stats.js'), join(examples, 'tidy-whitespace.js')];
  assert.deepEqual(manifest.config.stages.map((s: { module: string }) => s.module), files.map((f) => pathToFileURL(f).href));
  assert.deepEqual(manifest.config.stages.map((s: { sha256: string }) => s.sha256), files.map(sha256));
  assert.deepEqual(manifest.config.stages[1].options, { column_prefix: 'ws_', digits: 2 });

  // The same bytes from 1 worker.
  const one = join(user, 'out-1');
  assert.equal(refinery(['run', config, '--input', ...inputs, '-o', one, '-w', '1', '-q']).code, 0);
  assert.deepEqual(readFileSync(join(one, 'final', 'part-00000.jsonl')), readFileSync(join(out, 'final', 'part-00000.jsonl')));

  // The same command again resumes (the config resolves to the recorded modules).
  const again = refinery(['run', config, '--input', ...inputs, '-o', out, '-w', '2', '-q', '--excluded']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /resuming the run/);

  // `refinery task` (what a Slurm array job runs) loads the modules from run.json alone, from
  // any working directory: redo task 1 and get the same shard.
  const shard = readdirSync(join(out, 'filter', 'data')).find((f) => f.startsWith('00001-'))!;
  const before = readFileSync(join(out, 'filter', 'data', shard));
  rmSync(join(out, 'filter', 'done', '00001'));
  const task = spawnSync(process.execPath, [refineryBin, 'task', out, 'filter', '1'], { cwd: tmpdir(), encoding: 'utf8' });
  assert.equal(task.status, 0, task.stderr);
  assert.match(task.stdout, /filter\/1: done, 2 documents written/);
  assert.deepEqual(readFileSync(join(out, 'filter', 'data', shard)), before);

  // The report, for free: the module's stage, its reason and its histogram.
  const report = refinery(['report', out]);
  assert.equal(report.code, 0, report.stderr);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /\| filter \| no_lorem \| placeholder \| 2 \|/);
  assert.match(md, /\| filter \| no_lorem \| placeholder_hits \|/);

  // `refinery stages --config` lists the config's own stages with their defaults.
  const listed = refinery(['stages', '--config', config]);
  assert.equal(listed.code, 0, listed.stderr);
  const section = listed.stdout.slice(listed.stdout.indexOf('Stages from modules'));
  assert.match(section, new RegExp(`no_lorem \\(${files[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): Remove documents with placeholder text`));
  assert.match(section, /word_stats .*\n\s+column_prefix: "ws_"\n\s+digits: 3/);
  assert.match(section, /tidy_whitespace .*\n\s+max_blank_lines: 1/);
});

test('refinery explain re-runs a module stage from run.json and shows its measured value', () => {
  const out = join(user, 'out-explain');
  const r = refinery(['run', config, '--input', ...inputs, '-o', out, '-w', '2', '-q', '--explain']);
  assert.equal(r.code, 0, r.stderr);
  const e = refinery(['explain', out, 'a1', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const doc = (JSON.parse(e.stdout) as { documents: { stages: { stage: string; result: string; reason?: string; value?: number; measured: Record<string, number> }[] }[] }).documents[0]!;
  const step = doc.stages.find((s) => s.stage === 'no_lorem')!;
  assert.deepEqual([step.result, step.reason, step.value, step.measured.placeholder_hits], ['removed', 'placeholder', 2, 2]);
});

test('a module changed after the run started is refused, by the run and by a task', () => {
  const dir = mkdtempSync(join(user, 'changed-'));
  const file = join(dir, 'no-lorem.js');
  copyFileSync(join(examples, 'no-lorem.js'), file);
  const cfg = join(dir, 'c.yaml');
  writeFileSync(cfg, 'stages:\n  - module: ./no-lorem.js\npasses: []\n');
  const out = join(dir, 'out');
  assert.equal(refinery(['run', cfg, '--input', inputs[0]!, '-o', out, '-q', '-w', '1']).code, 0);
  appendFileSync(file, '// edited\n');
  const rerun = refinery(['run', cfg, '--input', inputs[0]!, '-o', out, '-q', '-w', '1']);
  assert.equal(rerun.code, 2);
  assert.match(rerun.stderr, /holds a different run/);
  rmSync(join(out, 'filter', 'done', '00000'));
  const task = refinery(['task', out, 'filter', '0']);
  assert.equal(task.code, 2, task.stderr);
  assert.match(task.stderr, /stages\[0\]\.no_lorem: module .*no-lorem\.js changed since the run started/);
});

test('a module that cannot be used stops the run at start (exit 2), naming the entry and the path', async () => {
  const dir = mkdtempSync(join(user, 'bad-'));
  writeFileSync(join(dir, 'nothing.js'), 'export const threshold = 3;\n');
  writeFileSync(join(dir, 'no-create.js'), 'export default { name: "half", defaults: {} };\n');
  writeFileSync(join(dir, 'pii.js'), 'import { textFilter } from "refinery";\nexport default textFilter({ name: "pii", defaults: {}, check: () => true });\n');
  writeFileSync(join(dir, 'broken.js'), 'export default {;\n');
  const cases: [string, string, RegExp][] = [
    ['./no-lorm.js', '', /stages\[0\] \(module: "\.\/no-lorm\.js"\): module \/.*\/no-lorm\.js: not found/],
    ['./nothing.js', '', /stages\[0\] \(module: "\.\/nothing\.js"\): module \/.*\/nothing\.js does not export a stage: it has no default export/],
    ['./no-create.js', '', /no-create\.js does not export a valid stage: create\(options, ctx\) must be a function/],
    ['./broken.js', '', /broken\.js could not be loaded: .*Unexpected token/],
    ['./pii.js', '', /stages\[0\] \(module .*pii\.js\): its stage name "pii" is a built-in stage's/],
    [join(examples, 'no-lorem.js'), 'max_hits: -1', /stages\[0\]\.no_lorem\.max_hits: expected an integer in \[0, inf\], got -1 \(options of module .*no-lorem\.js\)/],
    [join(examples, 'no-lorem.js'), 'max_hit: 1', /stages\[0\]\.no_lorem\.max_hit: unknown option \(known: phrases, max_hits\)/],
    [join(examples, 'word-stats.js'), 'per_language: { xx: { digits: 2 } }', /per_language\.xx: not a language code/],
    ['no-such-package', '', /package "no-such-package" not found in node_modules above/],
  ];
  const configFor = (i: number, spec: string, options: string) => {
    const cfg = join(dir, `c${i}.yaml`);
    writeFileSync(cfg, `stages:\n  - module: ${spec}\n${options ? `    options: { ${options} }\n` : ''}`);
    return cfg;
  };
  for (const [i, [spec, options, re]] of cases.entries()) {
    const cfg = configFor(i, spec, options);
    await assert.rejects(loadConfigFile(cfg, registry), (e: unknown) => {
      assert.ok(e instanceof RefineryError && e.code === 'ERR_CONFIG', String(e));
      assert.match(e.message, re, spec);
      assert.ok(e.message.startsWith(`${cfg}: `), 'the config file is named');
      return true;
    });
  }
  // As the CLI says it: exit 2, before anything is written.
  for (const i of [0, 1, 5]) {
    const out = join(dir, `out-${i}`);
    const r = refinery(['run', join(dir, `c${i}.yaml`), '--input', inputs[0]!, '-o', out, '-q']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, cases[i]![2]);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(join(out, 'run.json')), false, 'nothing was written');
  }
  // A module is a stage entry only: corpus passes cannot come from one.
  writeFileSync(join(dir, 'p.yaml'), `passes:\n  - module: ${join(examples, 'no-lorem.js')}\n`);
  await assert.rejects(loadConfigFile(join(dir, 'p.yaml'), registry), /passes\[0\]: `module:` entries are for streaming stages/);
});

test('a module that loads at start but not in a worker thread fails its tasks as a config error, said once (exit 2)', () => {
  const dir = mkdtempSync(join(user, 'thread-'));
  writeFileSync(
    join(dir, 'main-only.js'),
    `import { isMainThread } from 'node:worker_threads';\nimport { textFilter } from 'refinery';\nif (!isMainThread) throw new Error('needs the main thread');\nexport default textFilter({ name: 'main_only', defaults: {}, check: () => true });\n`,
  );
  writeFileSync(join(dir, 'c.yaml'), 'stages:\n  - module: ./main-only.js\npasses: []\n');
  const r = refinery(['run', join(dir, 'c.yaml'), '--input', ...inputs, '-o', join(dir, 'out'), '-q', '-w', '2']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /pass filter: 2 of 2 tasks failed \(fix the config and rerun\):\n {2}tasks 0, 1: stages\[0\]\.main_only: module .*main-only\.js could not be loaded: needs the main thread/);
});

test('package names resolve like an ESM import from the config folder: exports, conditions, patterns, main', () => {
  const dir = mkdtempSync(join(user, 'pkgs-'));
  const make = (name: string, manifest: object, files: string[]) => {
    const root = join(dir, 'node_modules', name);
    for (const f of ['package.json', ...files]) mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name, ...manifest }));
    for (const f of files) writeFileSync(join(root, f), '');
    return root;
  };
  const sugar = make('sugar', { exports: './dist/index.js' }, ['dist/index.js']);
  const cond = make('@acme/cond', { exports: { '.': { require: './c.cjs', import: './m.js' }, './x': { default: './x.js' } } }, ['c.cjs', 'm.js', 'x.js']);
  const cjsOnly = make('cjs-only', { exports: { require: './c.cjs' } }, ['c.cjs']);
  const pat = make('pat', { exports: { './*': './lib/*.js', './deep/*': { import: './deep/*.mjs' } } }, ['lib/a.js', 'deep/b.mjs']);
  const legacy = make('legacy', { main: 'lib/main' }, ['lib/main.js']);
  const bare = make('bare', {}, ['index.js', 'sub/f.js']);
  const from = join(dir, 'configs', 'nested');
  mkdirSync(from, { recursive: true });
  assert.equal(resolveModuleFile('sugar', from), join(sugar, 'dist/index.js'));
  assert.equal(resolveModuleFile('@acme/cond', from), join(cond, 'm.js'));
  assert.equal(resolveModuleFile('@acme/cond/x', from), join(cond, 'x.js'));
  assert.throws(() => resolveModuleFile('cjs-only', from), /does not export "\." for import/);
  assert.equal(resolveModuleFile('pat/a', from), join(pat, 'lib/a.js'));
  assert.equal(resolveModuleFile('pat/deep/b', from), join(pat, 'deep/b.mjs'));
  assert.throws(() => resolveModuleFile('sugar/other', from), /does not export "\.\/other"/);
  assert.equal(resolveModuleFile('legacy', from), join(legacy, 'lib/main.js'));
  assert.equal(resolveModuleFile('bare', from), join(bare, 'index.js'));
  assert.equal(resolveModuleFile('bare/sub/f.js', from), join(bare, 'sub/f.js'));
  assert.throws(() => resolveModuleFile('nope', from), /package "nope" not found/);
  // Paths: relative to the config's folder, absolute, file: URLs.
  assert.equal(resolveModuleFile('./f.js', from), join(from, 'f.js'));
  assert.equal(resolveModuleFile('../f.js', from), join(dir, 'configs', 'f.js'));
  assert.equal(resolveModuleFile('/abs/f.js', from), '/abs/f.js');
  assert.equal(resolveModuleFile(pathToFileURL('/abs/g.js').href, from), '/abs/g.js');
});

test('textFilter: nothing or true keeps, false/a reason/a Drop removes, anything else is a stage bug', async () => {
  const verdicts: unknown[] = [undefined, true, false, 'too_short', { reason: 'score', value: 0.2, detail: '0.2<0.5' }, 7];
  const stage = await textFilter({
    name: 'demo',
    defaults: { i: 0 },
    check: (_text, options) => verdicts[options.i] as never,
  });
  assert.equal(stage.description, '');
  const ctx = { observe() {}, count() {}, log() {} };
  const run = async (i: number): Promise<StepResult> => (await stage.create({ i }, ctx)).apply(newDoc({ id: 'x', text: 't' }));
  for (const i of [0, 1]) assert.equal(isDrop(await run(i)), false);
  assert.deepEqual(await run(2), { reason: 'demo' });
  assert.deepEqual(await run(3), { reason: 'too_short' });
  assert.deepEqual(await run(4), { reason: 'score', value: 0.2, detail: '0.2<0.5' });
  await assert.rejects(async () => run(5), /stage demo: check returned 7/);
});

test('loadStageModule loads a file once per thread and refuses another hash', async () => {
  const url = pathToFileURL(join(examples, 'tidy-whitespace.js')).href;
  const a = await loadStageModule(url, 'stages[0]');
  assert.equal(a.module.name, 'tidy_whitespace');
  assert.equal(a.sha256, sha256(fileURLToPath(url)));
  assert.equal((await loadStageModule(url, 'stages[0]', a.sha256)).module, a.module);
  await assert.rejects(loadStageModule(url, 'stages[3].tidy', '0'.repeat(64)), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CONFIG' && /stages\[3\]\.tidy: module .* changed since the run started/.test(e.message));
});

test("the package's types: a TypeScript stage type-checks against refinery's emitted declarations", () => {
  const dir = mkdtempSync(join(user, 'types-'));
  writeFileSync(
    join(dir, 'good.ts'),
    `import { dropFor, int, textFilter, type Doc, type StageModule } from 'refinery';
export default textFilter({
  name: 'min_words',
  defaults: { min_words: 3 },
  ranges: { min_words: int(1) },
  check(text, options, doc: Readonly<Doc>, tools) {
    const n = text.split(/\\s+/).length;
    tools.observe('words', n);
    return n < options.min_words ? dropFor('words', n, '<', options.min_words) : doc.url.length > 0;
  },
});
export const annotator: StageModule<{ column: string }> = {
  name: 'mark', description: '', defaults: { column: 'mark' },
  create: (options) => ({ name: 'mark', apply(doc: Doc) { doc.columns = { ...doc.columns, [options.column]: 1 }; return doc; } }),
};
`,
  );
  // A typo in an option name and a verdict that is not one: both must be type errors.
  writeFileSync(join(dir, 'bad.ts'), `import { textFilter } from 'refinery';\nexport default textFilter({ name: 'x', defaults: { min_words: 3 }, check: (text, options) => options.min_wrds > 2 ? 42 : true });\n`);
  const diagnostics = (file: string) => {
    const program = ts.createProgram([join(dir, file)], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: [] });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  assert.deepEqual(diagnostics('good.ts'), []);
  const bad = diagnostics('bad.ts').join('\n');
  assert.match(bad, /min_wrds/);
  assert.match(bad, /number/);
});

test('docs/writing-a-stage.md shows each example file as it is', () => {
  const doc = readFileSync(join(projectDir, 'docs', 'writing-a-stage.md'), 'utf8');
  for (const f of readdirSync(examples).filter((x) => x.endsWith('.js'))) {
    assert.ok(doc.includes(`\`examples/stages/${f}\`\n\n\`\`\`js\n${readFileSync(join(examples, f), 'utf8')}\`\`\``), `${f} is in the doc, unchanged`);
  }
});
