/**
 * Load time, memory and lookup speed of the URL filter's blocklist at RefinedWeb's scale
 * (~4.6M UT1 domains, RW G.1):
 *   node --expose-gc dist/bench/url-blocklist.js [--domains 4600000] [--gzip] [--keep]
 * Generates a UT1-shaped folder (adult/domains with N random domains, adult/urls with 1% as
 * many URLs) in the temp folder, loads it as the stage does, and reports load time, the
 * table's bytes, the process's RSS/heap growth, and lookups per second for URLs of which
 * half are on the list.
 */
import { mkdirSync, rmSync, statSync, createWriteStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { loadBlocklist } from '../stages/url_filter/blocklist.js';
import { defaults, matchBlocklist, parseUrl, scoreUrlWords } from '../stages/url_filter/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const N = Number(arg('domains') ?? 4_600_000);
const GZIP = process.argv.includes('--gzip');
const KEEP = process.argv.includes('--keep');

const TLDS = ['com', 'net', 'org', 'de', 'fr', 'co.uk', 'ru', 'info', 'xxx', 'com.br', 'nl', 'it', 'pl', 'jp', 'biz'];
/** Deterministic i-th domain: 6-14 random letters/digits + a TLD (xorshift from i). */
function domain(i: number): string {
  let x = (i + 1) * 2654435761;
  let s = '';
  const len = 6 + (i % 9);
  for (let k = 0; k < len; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    s += 'abcdefghijklmnopqrstuvwxyz0123456789'[(x >>> 0) % 36];
  }
  return `${s}${i.toString(36)}.${TLDS[i % TLDS.length]}`;
}

async function writeList(path: string, count: number, line: (i: number) => string, gzip: boolean): Promise<void> {
  const CH = 50_000;
  async function* chunks() {
    for (let i = 0; i < count; i += CH) {
      let s = '';
      for (let j = i; j < Math.min(count, i + CH); j++) s += line(j) + '\n';
      yield Buffer.from(s);
    }
  }
  const src = Readable.from(chunks());
  if (gzip) await pipeline(src, createGzip({ level: 6 }), createWriteStream(path + '.gz'));
  else await pipeline(src, createWriteStream(path));
}

async function main(): Promise<void> {
  const dir = join(tmpdir(), `refinery-ut1-bench-${N}${GZIP ? '-gz' : ''}`);
  const adult = join(dir, 'adult');
  const domainsFile = join(adult, GZIP ? 'domains.gz' : 'domains');
  if (!existsSync(domainsFile)) {
    mkdirSync(adult, { recursive: true });
    const t = performance.now();
    await writeList(join(adult, 'domains'), N, domain, GZIP);
    await writeList(join(adult, 'urls'), Math.floor(N / 100), (i) => `${domain(i * 7 + 3)}/page/${i}.html`, GZIP);
    console.log(`generated ${N} domains in ${((performance.now() - t) / 1000).toFixed(1)} s -> ${dir}`);
  }
  console.log(`domains file: ${(statSync(domainsFile).size / 1e6).toFixed(1)} MB${GZIP ? ' (gzip)' : ''}`);

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const bl = await loadBlocklist([dir], []);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  gc?.();
  const after = process.memoryUsage();
  console.log(
    `loaded ${bl.domains.size} domains + ${bl.urls.size} urls in ${(wall / 1000).toFixed(2)} s wall, ` +
      `${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU`,
  );
  const tableMB = (bl.domains.bytes + bl.urls.bytes) / 1e6;
  console.log(
    `memory: tables ${tableMB.toFixed(1)} MB (${((bl.domains.bytes + bl.urls.bytes) / (bl.domains.size + bl.urls.size)).toFixed(1)} B/entry); ` +
      `RSS +${((after.rss - before.rss) / 1e6).toFixed(1)} MB, heap +${((after.heapUsed - before.heapUsed) / 1e6).toFixed(1)} MB, ` +
      `arrayBuffers +${((after.arrayBuffers - before.arrayBuffers) / 1e6).toFixed(1)} MB`,
  );

  // Lookups: half listed (a subdomain of a listed domain), half not.
  const M = 500_000;
  const urls: string[] = [];
  for (let i = 0; i < M; i++) {
    urls.push(i % 2 === 0 ? `https://www.${domain((i * 9973) % N)}/article/${i}` : `https://news.example${i}.com/story/${i}?ref=x`);
  }
  let hits = 0;
  const c1 = process.cpuUsage();
  for (const u of urls) {
    const p = parseUrl(u)!;
    if (matchBlocklist(p, bl, true) ?? scoreUrlWords(u, defaults)) hits++;
  }
  const lc = process.cpuUsage(c1);
  const us = (lc.user + lc.system) / M;
  console.log(`lookups (parse + blocklist + word scores): ${M} URLs, ${hits} dropped, ${us.toFixed(2)} µs CPU/URL (${(1e6 / us).toFixed(0)} URLs/s)`);
  if (hits !== M / 2) throw new Error(`expected ${M / 2} hits, got ${hits}`);
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
}

await main();
