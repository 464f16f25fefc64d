/** Small shared helpers for the benchmarks: timing a child command, its peak RSS, tables. */
import { spawn } from 'node:child_process';

export interface Measured {
  wallSec: number;
  userSec: number;
  sysSec: number;
  /** Peak resident set of the process (threads included), in MB. */
  peakRssMb: number;
  /** With `io`: the kernel's rchar / wchar of the command (every read and write call). */
  readBytes?: number;
  writtenBytes?: number;
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a command under GNU time (`/usr/bin/time -v`) for its CPU times and peak RSS; with `io`,
 * also its bytes read and written: a shell runs it and then prints its own /proc/<pid>/io,
 * which holds the counts of the children it waited for (Linux task I/O accounting).
 */
export function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, opts: { io?: boolean } = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const timed = ['/usr/bin/time', '-v', cmd, ...args];
    const [exe, ...argv] = opts.io ? ['sh', '-c', '"$@"; rc=$?; cat /proc/$$/io >&2; exit $rc', 'sh', ...timed] : timed;
    const child = spawn(exe!, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallSec = (performance.now() - t0) / 1000;
      const num = (re: RegExp) => Number(re.exec(stderr)?.[1] ?? NaN);
      resolve({
        wallSec,
        userSec: num(/User time \(seconds\): ([\d.]+)/),
        sysSec: num(/System time \(seconds\): ([\d.]+)/),
        peakRssMb: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
        ...(opts.io ? { readBytes: num(/^rchar: (\d+)$/m), writtenBytes: num(/^wchar: (\d+)$/m) } : {}),
        code: code ?? -1,
        stdout,
        stderr,
      });
    });
  });
}

export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n >= 10 ? 1 : 2);
}
