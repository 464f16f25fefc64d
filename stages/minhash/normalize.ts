/**
 * Text normalization before shingling (spec §7, as datatrove's `simplify_text`): lowercase,
 * NFD with combining marks removed (accents stripped), punctuation and symbols removed
 * (Unicode P* and S*), optionally digits -> 0 (FineWeb), whitespace collapsed to one space.
 */
import { loadNative } from '../../src/native.js';

const MARKS = /\p{M}+/gu;
const PUNCT = /[\p{P}\p{S}]+/gu;
const DIGITS = /\p{Nd}/gu;
const SPACES = /\s+/gu;

/** The reference: native/src/normalize.cc must equal it on every input. */
export function normalizeForMinhash(text: string, digitsToZero: boolean): string {
  let t = text.toLowerCase().normalize('NFD').replace(MARKS, '');
  t = t.replace(PUNCT, ' ');
  if (digitsToZero) t = t.replace(DIGITS, '0');
  return t.replace(SPACES, ' ').trim();
}

interface NormalizeNative {
  minhashNormalize(text: string, digitsToZero: boolean): string;
}

/** normalizeForMinhash in C++ (native/src/normalize.cc): the same output, ~20x faster (`npm run bench:minhash`). */
export function normalizeForMinhashNative(text: string, digitsToZero: boolean): string {
  return (loadNative() as unknown as NormalizeNative).minhashNormalize(text, digitsToZero);
}
