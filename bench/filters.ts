/**
 * Throughput of the heuristic filter chain on extracted web text, one core:
 *   node dist/bench/filters.js [--reps N] [--stages a,b,c]
 * Texts: the 350 CommonCrawl documents of ../shared/data/parity (repeated N times, fresh
 * string copies so no hash or memo survives between repetitions); generated text when absent.
 * Two figures: the chain as a pipeline runs it (a document stops at its first drop), and every
 * filter on every document (the cost of measuring all rules on all documents).
 */
import { readFileSync } from 'node:fs';
import { newDoc } from '../src/doc.js';
import { isDrop, type Stage, type StageContext } from '../src/stage.js';
import { sharedData } from '../src/paths.js';
import { stageModules } from '../stages/index.js';

const ALL = ['gopher_repetition', 'gopher_quality', 'line_corrections', 'c4_filters', 'fineweb_quality', 'pii'];
/** `--stages a,b,c` picks stages (e.g. datatrove's reference set: gopher_repetition,gopher_quality,c4_filters,fineweb_quality). */
const CHAIN = (() => {
  const i = process.argv.indexOf('--stages');
  return i >= 0 ? process.argv[i + 1]!.split(',') : ALL;
})();

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function texts(): { texts: string[]; source: string } {
  const file = sharedData('parity', 'datatrove-filters.jsonl');
  if (file) {
    const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
    return { texts: rows.map((l) => (JSON.parse(l) as { text: string }).text), source: file };
  }
  const base = 'The committee met on Tuesday to discuss the budget. It approved two proposals and rejected a third one.\n';
  return { texts: Array.from({ length: 350 }, (_, i) => base.repeat(5 + (i % 40)) + `Document ${i}.`), source: 'generated' };
}

const ctx: StageContext = { observe() {}, count() {}, log() {} };

async function main(): Promise<void> {
  const reps = arg('reps', 20);
  const { texts: base, source } = texts();
  const stages: Stage[] = [];
  for (const name of CHAIN) {
    const m = stageModules[name]!;
    stages.push(await m.create(structuredClone(m.defaults), ctx));
  }
  const copies: string[] = [];
  for (let r = 0; r < reps; r++) for (const t of base) copies.push(Buffer.from(t, 'utf8').toString('utf8'));
  const bytes = copies.reduce((n, t) => n + Buffer.byteLength(t), 0);
  // warm-up (JIT)
  for (const t of base) for (const s of stages) s.apply(newDoc({ id: 'w', text: t }));

  const perStage = new Float64Array(stages.length);
  const kept = new Array<number>(stages.length).fill(0);
  // CPU time of this process, not wall time: the machine is shared, and a per-core figure
  // should not count the time spent waiting for a core.
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let c0 = cpu();
  let t0 = performance.now();
  for (let i = 0; i < copies.length; i++) {
    let doc = newDoc({ id: String(i), text: copies[i]! });
    for (let k = 0; k < stages.length; k++) {
      const a = performance.now();
      const r = stages[k]!.apply(doc) as ReturnType<Stage['apply']>;
      perStage[k]! += performance.now() - a;
      if (isDrop(r as never)) break;
      kept[k]!++;
      doc = r as typeof doc;
    }
  }
  const chainWall = performance.now() - t0;
  const chainMs = cpu() - c0;

  c0 = cpu();
  t0 = performance.now();
  for (let i = 0; i < copies.length; i++) {
    for (const s of stages) s.apply(newDoc({ id: String(i), text: copies[i]! }));
  }
  const allWall = performance.now() - t0;
  const allMs = cpu() - c0;

  const n = copies.length;
  const mb = bytes / 1e6;
  console.log(`stages: ${CHAIN.join(' -> ')}`);
  console.log(`texts: ${source} x ${reps} = ${n} docs, ${mb.toFixed(1)} MB (mean ${(bytes / n / 1000).toFixed(1)} KB/doc)`);
  const rate = (ms: number, wall: number) =>
    `${(n / (ms / 1000)).toFixed(0)} docs/s, ${(mb / (ms / 1000)).toFixed(1)} MB/s per CPU-second (wall: ${(n / (wall / 1000)).toFixed(0)} docs/s)`;
  console.log(`chain (stop at first drop): ${rate(chainMs, chainWall)}`);
  console.log(`every filter on every doc:  ${rate(allMs, allWall)}`);
  console.log('per stage in the chain (docs kept after it, wall ms):');
  CHAIN.forEach((name, k) => console.log(`  ${name.padEnd(18)} kept ${String(kept[k]).padStart(6)}  ${perStage[k]!.toFixed(0)} ms`));
}

await main();
