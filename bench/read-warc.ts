/**
 * Read + decode throughput of the WARC reader alone (no stages), on one core:
 *
 *   node dist/bench/read-warc.js [file.warc.gz] [--seconds 20]
 *
 * Defaults to the shared bench WARC. Repeats the file until `--seconds` of CPU time have been
 * spent, then prints pages/s and MB/s (compressed and inflated) per CPU second, peak RSS, and
 * the time `gzip -dc` takes on the same file as the floor. CPU time (process.cpuUsage), not wall
 * time: the machines this runs on are shared.
 */
import { createReadStream, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { readWarcDocs, warcReadDefaults } from '../src/readers/warc.js';
import { emptyReaderStats } from '../src/stats.js';
import { sharedData } from '../src/paths.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const si = args.indexOf('--seconds');
  const seconds = si >= 0 ? Number(args[si + 1]) : 20;
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--seconds') ?? sharedData('warc', 'bench', 'CC-MAIN-20230201000000-20230201030000-00000.warc.gz');
  if (!file) {
    console.log('read-warc bench: no input (shared data absent); skipped');
    return;
  }
  const size = statSync(file).size;
  let runs = 0;
  let pages = 0;
  let htmlChars = 0;
  let cpuMs = 0;
  const perRun: number[] = [];
  while (cpuMs < seconds * 1000) {
    const stats = emptyReaderStats();
    const c0 = process.cpuUsage();
    for await (const d of readWarcDocs(createReadStream(file, { highWaterMark: 1 << 20 }), { file, ...warcReadDefaults }, stats)) {
      pages++;
      htmlChars += d.html!.length;
    }
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1000;
    perRun.push(ms);
    cpuMs += ms;
    runs++;
  }
  perRun.sort((a, b) => a - b);
  const median = perRun[Math.floor(perRun.length / 2)]!;
  let floor = 'n/a';
  try {
    const c0 = process.hrtime.bigint();
    execFileSync('gzip', ['-dc', file], { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30 });
    floor = `${(Number(process.hrtime.bigint() - c0) / 1e6).toFixed(0)} ms wall`;
  } catch {
    // gzip absent: no floor
  }
  const cpuS = cpuMs / 1000;
  console.log(
    JSON.stringify(
      {
        file,
        runs,
        pagesPerRun: pages / runs,
        medianRunCpuMs: Math.round(median),
        pagesPerCpuSecond: Math.round(pages / cpuS),
        compressedMBPerCpuSecond: +((size * runs) / 1e6 / cpuS).toFixed(1),
        htmlMCharsPerCpuSecond: +(htmlChars / 1e6 / cpuS).toFixed(1),
        peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
        gzipFloor: floor,
      },
      null,
      2,
    ),
  );
}

await main();
