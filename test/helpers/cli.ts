// Run the real `refinery` CLI in a child process, as a user would.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const refineryBin = fileURLToPath(new URL('../../../bin/refinery.js', import.meta.url));
export const projectDir = fileURLToPath(new URL('../../../', import.meta.url));

export function refinery(args: string[], opts: { timeoutMs?: number } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [refineryBin, ...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? 300_000, cwd: projectDir });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function refineryAsync(args: string[]) {
  return spawn(process.execPath, [refineryBin, ...args], { cwd: projectDir, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Split a gzip-per-record WARC into `parts` uncompressed WARC files at record boundaries
 * (so a test can run one input file per task on real data).
 */
export function splitWarc(file: string, parts: number, dir: string): string[] {
  const raw = gunzipSync(readFileSync(file));
  const starts: number[] = [];
  const marker = Buffer.from('WARC/1.');
  for (let i = raw.indexOf(marker); i >= 0; i = raw.indexOf(marker, i + 1)) {
    if (i === 0 || (raw[i - 1] === 0x0a && raw[i - 2] === 0x0d && raw[i - 3] === 0x0a && raw[i - 4] === 0x0d)) starts.push(i);
  }
  const out: string[] = [];
  for (let p = 0; p < parts; p++) {
    // Cut on capture boundaries: whole records, the warcinfo going with the first part.
    const from = starts[Math.floor((p * starts.length) / parts)]!;
    const toIdx = Math.floor(((p + 1) * starts.length) / parts);
    const to = toIdx >= starts.length ? raw.length : starts[toIdx]!;
    const name = join(dir, `part-${p}.warc`);
    writeFileSync(name, raw.subarray(from, to));
    out.push(name);
  }
  return out;
}
