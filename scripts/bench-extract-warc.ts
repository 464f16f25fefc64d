/**
 * The extractor's share of reading + extracting the bench WARC
 * (../shared/data/warc/bench/, 546 captures): reads every HTML response with the project's WARC
 * reader (gunzip, record framing, charset decoding), then extracts each page, and prints the
 * CPU time of each part on this one thread. Usage: node dist/scripts/bench-extract-warc.js [file.warc.gz] [--rounds N]
 */
import { createReadStream } from 'node:fs';
import { sharedData } from '../src/paths.js';
import { readWarcDocs, warcReadDefaults } from '../src/readers/warc.js';
import type { ReaderStats } from '../src/stats.js';
import type { Doc } from '../src/doc.js';
import { extractMainContent } from '../stages/extract/extract.js';

async function readAll(file: string): Promise<Doc[]> {
  const stats: ReaderStats = { files: 0, records: 0, docs: 0, bytes: 0, skipped: {}, problems: [], ms: 0 };
  const docs: Doc[] = [];
  for await (const d of readWarcDocs(createReadStream(file), { file, ...warcReadDefaults }, stats)) docs.push(d);
  return docs;
}

async function main(argv: string[]): Promise<number> {
  const ri = argv.indexOf('--rounds');
  const rounds = ri >= 0 ? Number(argv[ri + 1]) : 3;
  const positional = argv.filter((a, i) => !a.startsWith('--') && !(ri >= 0 && i === ri + 1));
  const file = positional[0] ?? sharedData('warc', 'bench', 'CC-MAIN-20230201000000-20230201030000-00000.warc.gz');
  if (!file) { console.error('bench WARC absent'); return 2; }
  const cpu = (): number => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
  const readTimes: number[] = [];
  const extractTimes: number[] = [];
  let docs: Doc[] = [];
  let chars = 0;
  await readAll(file); // warm-up
  for (let r = 0; r < rounds; r++) {
    let t = cpu();
    docs = await readAll(file);
    readTimes.push(cpu() - t);
    t = cpu();
    chars = 0;
    for (const d of docs) chars += extractMainContent(d.html ?? '', d.url).text.length;
    extractTimes.push(cpu() - t);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const read = median(readTimes), ext = median(extractTimes);
  const htmlChars = docs.reduce((a, d) => a + (d.html?.length ?? 0), 0);
  console.log(`${docs.length} HTML docs, ${(htmlChars / 1e6).toFixed(1)} M chars of HTML -> ${(chars / 1e6).toFixed(2)} M chars of text`);
  console.log(`read (WARC + decode): ${read.toFixed(3)} s cpu | extract: ${ext.toFixed(3)} s cpu (${(docs.length / ext).toFixed(0)} docs/s) | extract share of read+extract: ${(100 * ext / (read + ext)).toFixed(0)}%`);
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
