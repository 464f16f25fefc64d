/**
 * Are two run directories' outputs byte for byte the same? Compares every file of both runs
 * except per-task bookkeeping (stats, done markers, logs, run.json, stats.json) and the MinHash
 * signature files (an intermediate whose layout may change while the pairs stay equal), and
 * prints each difference. For a before/after check of a change on the same input and config:
 *   node /before/bin/refinery.js run cfg.yaml --input X --output A
 *   node bin/refinery.js run cfg.yaml --input X --output B
 *   node dist/bench/same-output.js A B
 * Exit code 0 when every file matches, 1 otherwise.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node dist/bench/same-output.js <run-dir-a> <run-dir-b>');
  process.exit(2);
}

const skipped = (path: string) =>
  /(^|\/)(stats|done|logs)\//.test(path) || path === 'run.json' || path === 'stats.json' || path.startsWith('minhash_signatures/sigs/') || path.startsWith('final_shards/layout');

async function files(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(root, p));
    }
  };
  await walk(root);
  return out.filter((p) => !skipped(p)).sort();
}

const [fa, fb] = await Promise.all([files(a), files(b)]);
const all = [...new Set([...fa, ...fb])].sort();
let differ = 0;
const perFolder = new Map<string, number>();
for (const p of all) {
  const [x, y] = await Promise.all([readFile(join(a, p)).catch(() => undefined), readFile(join(b, p)).catch(() => undefined)]);
  const folder = p.split('/').slice(0, 2).join('/');
  perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1);
  if (!x || !y || !x.equals(y)) {
    differ++;
    console.log(`differs: ${p} (${x ? x.length : 'absent'} vs ${y ? y.length : 'absent'} bytes)`);
  }
}
for (const [folder, n] of perFolder) console.log(`  ${folder}: ${n} file(s)`);
console.log(differ ? `${differ} of ${all.length} files differ` : `all ${all.length} files identical`);
process.exit(differ ? 1 : 0);
