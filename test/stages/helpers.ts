/** A StageContext that records what a stage observed, counted and logged. */
import type { StageContext } from '../../src/stage.js';
import { seededRandom } from '../../src/random.js';

export interface RecordingContext extends StageContext {
  observed: Record<string, number[]>;
  counted: Record<string, number>;
  logged: string[];
}

export function recordingContext(): RecordingContext {
  const ctx: RecordingContext = {
    observed: {},
    counted: {},
    logged: [],
    observe(metric, value) {
      (ctx.observed[metric] ??= []).push(value);
    },
    count(event, n = 1) {
      ctx.counted[event] = (ctx.counted[event] ?? 0) + n;
    },
    log(message) {
      ctx.logged.push(message);
    },
  };
  return ctx;
}

/** About `bytes` characters of space-separated words drawn from a fixed vocabulary, in lines. */
export function bigText(bytes: number, seed = 1): string {
  const vocab = 'the of and to in is was for on that with as by at from this be are have it an which or were not his her'.split(' ')
    .concat(Array.from({ length: 400 }, (_, i) => `word${i.toString(36)}`));
  const rnd = seededRandom(seed);
  const parts: string[] = [];
  let len = 0;
  let inLine = 0;
  while (len < bytes) {
    const w = vocab[Math.floor(rnd() * vocab.length)]!;
    inLine++;
    const sep = inLine % 15 === 0 ? '.\n' : ' ';
    parts.push(w, sep);
    len += w.length + sep.length;
  }
  return parts.join('');
}
