// The CLI as a new user meets it (issue #14): every command takes --help, mistakes get a clear
// message and the documented exit code, never a stack trace. Runs the real `refinery` process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { refinery, refineryAsync } from './helpers/cli.js';
import { sharedData } from '../src/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'refinery-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A config with no stages and no passes: a run is only read -> shards -> final, in seconds. */
const minimal = join(dir, 'min.yaml');
writeFileSync(minimal, 'stages: []\npasses: []\n');
const jsonl = (name: string, n: number) => {
  const p = join(dir, name);
  writeFileSync(p, Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${name}-${i}`, text: `document ${i} of ${name}`, url: `https://e.com/${name}/${i}` })).join('\n') + '\n');
  return p;
};
const a = jsonl('a.jsonl', 5);
const b = jsonl('b.jsonl', 5);
const c = jsonl('c.jsonl', 5);

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .*[(/]|Error: E[A-Z]+:/, `no stack trace expected:\n${s}`);
let outN = 0;
const freshOut = () => join(dir, `out-${outN++}`);

test('refinery --help ends with complete lines; every command takes --help', () => {
  const top = refinery(['--help']);
  assert.equal(top.code, 0);
  const lines = top.stdout.trimEnd().split('\n');
  // Every line of the top help is a whole sentence or table row (none cut after the first line of a paragraph).
  assert.doesNotMatch(top.stdout, /what the\n|\(what the$/m);
  assert.match(lines.at(-1)!, /[.)`:\w]$/);
  assert.match(top.stdout, /Exit codes:/);
  const commands = [...top.stdout.matchAll(/^ {2}([a-z][\w-]*) {2,}/gm)].map((m) => m[1]!);
  for (const must of ['run', 'task', 'stages', 'report', 'inspect', 'status', 'cancel', 'extract']) assert.ok(commands.includes(must), `${must} listed`);
  for (const cmd of commands) {
    const r = refinery([cmd, '--help']);
    assert.equal(r.code, 0, `${cmd} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`refinery ${cmd}`), `${cmd} --help prints its usage`);
    assert.equal(r.stderr.includes('Unknown option'), false, `${cmd}: ${r.stderr}`);
  }
});

test('--input takes every value up to the next option; the config is the .yaml before or among them', () => {
  const out = freshOut();
  const r = refinery(['run', '--input', a, b, c, minimal, '-o', out, '-q', '-w', '1']);
  assert.equal(r.code, 0, r.stderr);
  const manifest = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.deepEqual(manifest.inputs, [a, b, c]);
  assert.deepEqual(manifest.config.stages, []);
  // Two config files, or a config that is not YAML among the inputs: usage errors.
  const two = refinery(['run', minimal, '--input', a, minimal, '-o', freshOut()]);
  assert.equal(two.code, 2);
  assert.match(two.stderr, /one config file/);
  const none = refinery(['run', minimal, '--input', '-o', freshOut()]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--input/);
  const help = refinery(['run', '--help']);
  assert.match(help.stdout, /\.yaml/);
  assert.match(help.stdout, /unquoted glob|every value after --input/i);
});

test('status of a finished run shows every pass done', () => {
  const out = freshOut();
  assert.equal(refinery(['run', minimal, '-i', a, '-o', out, '-q', '-w', '1']).code, 0);
  const s = refinery(['status', out]);
  assert.equal(s.code, 0, s.stderr);
  assert.doesNotMatch(s.stdout, /\?|running|partial|waiting/);
  assert.match(s.stdout, /final_manifest +1\/1 +done/);
});

test('--output that is a file: ERR_OUTPUT naming it, exit 2, no stack trace', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const r = refinery(['run', minimal, '-i', a, '-o', file, '-q']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /ERR_OUTPUT/);
  assert.ok(r.stderr.includes(file), r.stderr);
  noStack(r.stderr);
});

test('report, inspect and status on a path that is not a run: a clear error, non-zero, nothing created', () => {
  for (const cmd of ['report', 'inspect', 'status']) {
    const target = join(dir, `not-a-run-${cmd}`);
    const r = refinery([cmd, target]);
    assert.notEqual(r.code, 0, `${cmd}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /not a run directory/, cmd);
    noStack(r.stderr);
    assert.equal(existsSync(target), false, `${cmd} must not create ${target}`);
  }
  // An existing directory without run.json is not a run either.
  const empty = join(dir, 'empty-dir');
  mkdirSync(empty);
  const r = refinery(['report', empty]);
  assert.equal(r.code, 2);
  assert.deepEqual(readdirSync(empty), []);
});

test('config values are checked at start against their ranges: exit 2, key path, nothing written', () => {
  const cases: [string, RegExp][] = [
    ['passes:\n  - minhash: { bands: 0 }\n', /passes\[0\]\.minhash\.bands: expected an integer in \[1, .*got 0/],
    ['stages:\n  - language: { min_score: 7 }\n', /stages\[0\]\.language\.min_score: expected a number in \[0, 1\], got 7/],
    ['output: { row_group_rows: 1e300 }\n', /output\.row_group_rows: expected an integer in \[1, .*got 1e\+300/],
    ['stages:\n  - gopher_quality: { max_hash_word_ratio: .nan }\n', /stages\[0\]\.gopher_quality\.max_hash_word_ratio: expected a (finite )?number.*got NaN/],
    ['stages:\n  - gopher_repetition: { top_ngram_char_frac: [0.2, 1.5] }\n', /top_ngram_char_frac\[1\]: expected a number in \[0, 1\], got 1.5/],
    ['passes:\n  - exact_substring: { mode: cutt }\n', /passes\[0\]\.exact_substring\.mode: expected one of cut, droppartial, dropany, got "cutt"/],
  ];
  for (const [yaml, re] of cases) {
    const cfg = join(dir, `bad-${outN}.yaml`);
    writeFileSync(cfg, yaml);
    const out = freshOut();
    const r = refinery(['run', cfg, '-i', a, '-o', out, '-q']);
    assert.equal(r.code, 2, `${yaml}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /ERR_CONFIG/);
    noStack(r.stderr);
    assert.equal(existsSync(join(out, 'run.json')), false, 'nothing written before the config is checked');
  }
});

test('exit codes: 0 finished, 1 an input gave nothing (empty or every record unreadable), 2 usage', () => {
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  const garbage = join(dir, 'garbage.jsonl');
  writeFileSync(garbage, 'not json\n{"no_text": 1}\n[1]\n');
  assert.equal(refinery(['run', minimal, '-i', a, '-o', freshOut(), '-q', '-w', '1']).code, 0);
  const e = refinery(['run', minimal, '-i', a, empty, '-o', freshOut(), '-q', '-w', '1']);
  assert.equal(e.code, 1, e.stderr);
  assert.ok(e.stderr.includes(empty), e.stderr);
  const g = refinery(['run', minimal, '-i', a, garbage, '-o', freshOut(), '-q', '-w', '1']);
  assert.equal(g.code, 1, g.stderr);
  assert.ok(g.stderr.includes(garbage), g.stderr);
  assert.match(g.stdout, /input problems: 3/); // the run still finished and summarised
  assert.equal(refinery(['run', '--workers', 'zero']).code, 2);
  assert.equal(refinery(['run', '--bogus']).code, 2);
  assert.equal(refinery(['frobnicate']).code, 2);
  const missing = refinery(['run', minimal, '-i', join(dir, 'no-such.jsonl'), '-o', freshOut()]);
  assert.equal(missing.code, 2, missing.stderr);
  noStack(missing.stderr);
  const under = refinery(['run', minimal, '-i', a, '-o', join(a, 'out')]);
  assert.equal(under.code, 2, under.stderr);
  assert.match(under.stderr, /ERR_OUTPUT/);
  const help = refinery(['--help']).stdout;
  for (const code of ['0', '1', '2', '3', '4']) assert.match(help, new RegExp(`^ +${code} `, 'm'), `exit code ${code} documented`);
});

const malformed = sharedData('warc/malformed');
test('--strict stops a task at the first bad record with a located error (malformed set)', { skip: !malformed && 'shared data absent' }, () => {
  const files = readdirSync(malformed!).sort().map((f) => join(malformed!, f));
  // Without --strict: every file is read to its end, bad records counted (exit 0 or 1).
  const out = freshOut();
  const lenient = refinery(['run', minimal, '-i', ...files, '-o', out, '-q', '-w', '2']);
  assert.ok(lenient.code === 0 || lenient.code === 1, lenient.stderr);
  const manifest = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { inputs: string[] };
  const bad = manifest.inputs.filter((_, rank) => {
    const t = JSON.parse(readFileSync(join(out, 'filter', 'stats', `${String(rank).padStart(5, '0')}.json`), 'utf8'));
    return t.badRecords > 0;
  });
  assert.ok(bad.length > 0, "the malformed set has bad records");
  // With --strict: exit 4, and every file with a bad record is named with its first one's place.
  const strict = refinery(['run', minimal, '-i', ...files, '-o', freshOut(), '-q', '-w', '2', '--strict']);
  assert.equal(strict.code, 4, strict.stderr);
  assert.match(strict.stderr, new RegExp(`${bad.length} of ${files.length} tasks failed`));
  for (const f of bad) assert.match(strict.stderr, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, record \\d+, offset \\d+: bad record \\(ERR_`), f);
  assert.match(strict.stderr, /--strict/);
  assert.match(strict.stderr, /ERR_BAD_RECORD/);
  noStack(strict.stderr);
});

/** An HTTP server whose one file is sent only when `release()` is called: a run that waits. */
async function slowServer(body: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const server = createServer(async (req, res) => {
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end();
      return;
    }
    await released;
    res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/slow.jsonl`, release, close: () => new Promise((r) => server.close(r)) };
}

function waitFor(pred: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => (pred() ? resolve() : Date.now() - t0 > ms ? reject(new Error('timed out')) : setTimeout(tick, 50));
    tick();
  });
}

function exitOf(child: ReturnType<typeof refineryAsync>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((r) => child.on('close', (code, signal) => r({ code: code ?? (signal ? 128 : -1), stdout, stderr })));
}

test('a second run on the same output while one is running fails naming the holder; the lock goes at exit', async () => {
  const slow = await slowServer(readFileSync(a, 'utf8'));
  const out = freshOut();
  try {
    const first = refineryAsync(['run', minimal, '-i', slow.url, '-o', out, '-q', '-w', '1']);
    const firstDone = exitOf(first);
    await waitFor(() => existsSync(join(out, 'run.json')));
    const second = refinery(['run', minimal, '-i', slow.url, '-o', out, '-q', '-w', '1'], { timeoutMs: 60_000 });
    slow.release();
    assert.equal(second.code, 3, second.stderr);
    assert.match(second.stderr, new RegExp(`in use by another run: pid ${first.pid} on ${hostname()}`));
    noStack(second.stderr);
    const r = await firstDone;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(out, 'run.lock')), false, 'lock released at exit');
  } finally {
    slow.release();
    await slow.close();
  }
});

test('the lock is released on SIGINT; a stale lock of a dead process is taken over, saying so', async () => {
  const slow = await slowServer(readFileSync(a, 'utf8'));
  const out = freshOut();
  try {
    const first = refineryAsync(['run', minimal, '-i', slow.url, '-o', out, '-q', '-w', '1']);
    const done = exitOf(first);
    await waitFor(() => existsSync(join(out, 'run.lock')));
    first.kill('SIGINT');
    const r = await done;
    assert.notEqual(r.code, 0);
    assert.equal(existsSync(join(out, 'run.lock')), false, 'lock released on SIGINT');
  } finally {
    slow.release();
    await slow.close();
  }
  // A lock left by a process that no longer exists on this host (kill -9, power cut).
  const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
  const staleOut = freshOut();
  mkdirSync(staleOut);
  writeFileSync(join(staleOut, 'run.lock'), JSON.stringify({ pid: dead, host: hostname(), started: new Date().toISOString(), command: 'refinery run' }));
  const again = refinery(['run', minimal, '-i', a, '-o', staleOut, '-q', '-w', '1']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`stale lock.*pid ${dead}`));
  assert.equal(existsSync(join(staleOut, 'run.lock')), false);
  // A lock of another host cannot be checked: the message says how to clear it.
  const otherOut = freshOut();
  mkdirSync(otherOut);
  writeFileSync(join(otherOut, 'run.lock'), JSON.stringify({ pid: 1, host: 'elsewhere.example', started: new Date().toISOString(), command: 'refinery run' }));
  const other = refinery(['run', minimal, '-i', a, '-o', otherOut, '-q', '-w', '1']);
  assert.equal(other.code, 3, other.stderr);
  assert.match(other.stderr, /pid 1 on elsewhere\.example/);
  assert.ok(other.stderr.includes(`rm ${join(otherOut, 'run.lock')}`), other.stderr);
  assert.equal(existsSync(join(otherOut, 'run.json')), false, 'nothing written while locked');
});

test('two different runs started together on one output never both exit 0', async () => {
  for (let trial = 0; trial < 3; trial++) {
    const out = freshOut();
    const full = exitOf(refineryAsync(['run', minimal, '-i', a, b, '-o', out, '-q', '-w', '1']));
    const limited = exitOf(refineryAsync(['run', minimal, '-i', a, b, '-o', out, '-q', '-w', '1', '--limit', '2']));
    const [f, l] = await Promise.all([full, limited]);
    assert.ok(f.code !== 0 || l.code !== 0, `trial ${trial}: both exited 0\n${f.stdout}\n${l.stdout}`);
    assert.ok(f.code === 0 || l.code === 0, `trial ${trial}: one of them runs: ${f.stderr}\n${l.stderr}`);
  }
});

test('an output error (disk full) is ERR_OUTPUT naming the path; a rerun removes its stale temporaries', (t) => {
  const mnt = join(dir, 'small-disk');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    t.skip('cannot mount a small tmpfs here (needs root)');
    return;
  }
  try {
    const big = join(dir, 'big.jsonl');
    // Incompressible text, so the shard is larger than the disk.
    const rnd = () => Math.random().toString(36).slice(2);
    writeFileSync(big, Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: `d${i}`, text: Array.from({ length: 20 }, rnd).join(' ') })).join('\n') + '\n');
    const out = join(mnt, 'run');
    const r = refinery(['run', minimal, '-i', big, '-o', out, '-q', '-w', '1']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ERR_OUTPUT/);
    assert.doesNotMatch(r.stderr, /ERR_INPUT/);
    // The first write that found the disk full: a shard, or the task's samples written beside it.
    assert.match(r.stderr, new RegExp(`${out}/filter/(data|samples)/\\S+`));
    assert.match(r.stderr, /ENOSPC|no space/i);
    // A temporary left by a process that died (kill -9 leaves a 0-byte one).
    writeFileSync(join(out, 'filter', 'stale.parquet.tmp-0a1b2c3d4e5f'), '');
    const again = refinery(['run', minimal, '-i', big, '-o', out, '-q', '-w', '1']);
    const temps = execFileSync('find', [out, '-name', '*.tmp-*'], { encoding: 'utf8' }).trim();
    assert.equal(temps, '', `temporaries left after the rerun (${again.code}): ${temps}`);
  } finally {
    execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
  }
});
