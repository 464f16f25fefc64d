/** Real text for the tokenizer and MinHash benchmarks: the shared parity documents and lingua sentences. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedData } from '../src/paths.js';

/** Documents (real web text, mixed languages); undefined when the shared data is absent. */
export function benchTexts(): string[] | undefined {
  const parity = sharedData('parity');
  const lingua = sharedData('langid', 'lingua', 'sentences');
  if (!parity || !lingua) return undefined;
  const texts: string[] = [];
  for (const f of readdirSync(parity).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(parity, f), 'utf8').split('\n')) if (line.trim()) texts.push((JSON.parse(line) as { text: string }).text);
  }
  // Lingua: 40 sentences per "document", every language.
  for (const f of readdirSync(lingua).filter((f) => f.endsWith('.txt')).sort()) {
    const lines = readFileSync(join(lingua, f), 'utf8').split('\n');
    for (let i = 0; i + 40 <= lines.length; i += 40) texts.push(lines.slice(i, i + 40).join(' '));
  }
  return texts;
}

export function utf8Bytes(texts: string[]): number {
  return texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
}

/**
 * Median CPU seconds (user + system of this process) of `runs` runs of fn: the work of one
 * core, which wall time on a shared machine (2 cores, many jobs) overstates.
 */
export function medianSeconds(fn: () => void, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t);
    times.push((d.user + d.system) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
