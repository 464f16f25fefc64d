/**
 * Real text for the tokenizer, MinHash and exact-substring benchmarks: the shared parity
 * documents and lingua sentences, and the main text the extractor takes from the bench WARC.
 */
import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedData } from '../src/paths.js';
import { readWarcDocs, warcReadDefaults } from '../src/readers/warc.js';
import type { ReaderStats } from '../src/stats.js';
import { extractMainContent } from '../stages/extract/extract.js';

/**
 * The main text of every HTML page of the bench WARC (the text the dedup passes see, before
 * the language and quality filters); undefined when the shared data is absent.
 */
export async function benchWarcTexts(): Promise<string[] | undefined> {
  const file = sharedData('warc', 'bench', 'CC-MAIN-20230201000000-20230201030000-00000.warc.gz');
  if (!file) return undefined;
  const stats: ReaderStats = { files: 0, records: 0, docs: 0, bytes: 0, skipped: {}, problems: [], ms: 0 };
  const texts: string[] = [];
  for await (const d of readWarcDocs(createReadStream(file), { file, ...warcReadDefaults }, stats)) {
    const text = extractMainContent(d.html ?? '', d.url).text;
    if (text.trim()) texts.push(text);
  }
  return texts;
}

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
    times.push(cpuSeconds(t));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** CPU seconds (user + system of this process) since `t` (a process.cpuUsage()). */
export function cpuSeconds(t: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e6;
}

/** `set` repeated until it has at least `bytes` bytes of UTF-8. */
export function repeatTo(set: string[], bytes: number): string[] {
  const out: string[] = [];
  while (utf8Bytes(out) < bytes) out.push(...set);
  return out;
}
