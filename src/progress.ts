/**
 * Progress for long runs: tasks done, documents and bytes with rates, and an ETA from the
 * bytes still to read. A TTY gets one line redrawn in place; logs get a line every 15 s.
 */
import { PROGRESS_SLOTS } from './task.js';

export interface ProgressSource {
  label: string;
  tasksTotal: number;
  /** Total input bytes when known (for the ETA). */
  bytesTotal?: number;
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class ProgressReporter {
  readonly buffer = new SharedArrayBuffer(8 * 4);
  private readonly counters = new BigInt64Array(this.buffer);
  private tasksDone = 0;
  private readonly t0 = performance.now();
  private timer?: NodeJS.Timeout;
  private lastLog = 0;
  private readonly tty: boolean;

  constructor(
    private readonly source: ProgressSource,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  start(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.draw(false), this.tty ? 500 : 1000);
    this.timer.unref();
  }

  taskDone(): void {
    this.tasksDone++;
  }

  line(): string {
    const bytes = Number(this.counters[PROGRESS_SLOTS.bytes]);
    const docsIn = Number(this.counters[PROGRESS_SLOTS.docsIn]);
    const docsOut = Number(this.counters[PROGRESS_SLOTS.docsOut]);
    const secs = Math.max((performance.now() - this.t0) / 1000, 1e-3);
    const parts = [`${this.source.label}: ${this.tasksDone}/${this.source.tasksTotal} tasks`];
    if (docsIn) parts.push(`${docsIn.toLocaleString('en-US')} docs read (${Math.round(docsIn / secs).toLocaleString('en-US')}/s), ${docsOut.toLocaleString('en-US')} kept`);
    if (bytes) parts.push(`${formatBytes(bytes)} (${formatBytes(bytes / secs)}/s)`);
    const total = this.source.bytesTotal;
    if (total && bytes > 0 && bytes < total) parts.push(`ETA ${formatDuration(((total - bytes) / bytes) * secs * 1000)}`);
    else if (!total && this.tasksDone > 0 && this.tasksDone < this.source.tasksTotal) {
      parts.push(`ETA ${formatDuration(((this.source.tasksTotal - this.tasksDone) / this.tasksDone) * secs * 1000)}`);
    }
    return parts.join(', ');
  }

  private draw(final: boolean): void {
    const now = performance.now();
    if (this.tty) this.out.write(`\r\x1b[2K${this.line()}${final ? '\n' : ''}`);
    else if (final || now - this.lastLog > 15_000) {
      this.lastLog = now;
      this.out.write(`${this.line()}\n`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.enabled) this.draw(true);
  }
}
