// Generates native/src/normalize_tables.h for native/src/normalize.cc: what the JS MinHash
// normalizer (stages/minhash/normalize.ts) does to each code point on its own, taken from this
// Node's own ICU (toLowerCase, normalize('NFD'), the \p{..} regexes), plus the letter classes
// of the one context-dependent rule, Final_Sigma. The header is committed (building needs no
// script); rerun after a Node/ICU upgrade with `node native/scripts/gen-normalize-tables.mjs`.
// test/stages/minhash-normalize.test.ts sweeps every code point, so a drift shows up there.
//
// Why a per-code-point image is exact (each is checked below; generation fails otherwise):
// - toLowerCase in the root locale is per code point except Final_Sigma (U+03A3 -> U+03C2
//   after a cased letter and not before one, case-ignorables skipped), which gets its own kind;
// - NFD is per code point decomposition then canonical reordering, and reordering only moves
//   characters with a non-zero combining class: all are marks (asserted), which are removed;
// - P/S runs -> ' ' then \s runs -> ' ' equals every P/S/\s character -> ' ' then collapsing;
// - \p{Nd} characters are their own image (asserted), so digits -> '0' is per code point;
// - lone surrogates pass through, but mark removal can join a lone high and a lone low one
//   into a pair that the P/S and Nd steps see: normalize.cc handles that.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

// Kinds, shared with normalize.cc.
const KIND = { map: 0, drop: 1, space: 2, digit: 3, expand: 4, sigma: 5, hangul: 6 };
const image = (ch) => ch.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').replace(/[\p{P}\p{S}]/gu, ' ').replace(/\s/gu, ' ');
const cps = (s) => [...s].map((c) => c.codePointAt(0));
const fail = (msg) => {
  throw new Error(`gen-normalize-tables: ${msg}`);
};

// Hangul syllables decompose algorithmically (Unicode §3.12) to L V (T) jamo.
const hangul = (cp) => {
  const s = cp - 0xac00;
  const t = s % 28;
  return String.fromCharCode(0x1100 + Math.floor(s / 588), 0x1161 + Math.floor((s % 588) / 28)) + (t ? String.fromCharCode(0x11a7 + t) : '');
};

const entries = []; // [cp, kind, arg] for every code point that is not kept as itself
const pool = []; // UTF-16 units of the multi-code-point images
const poolIndex = new Map();
const cased = [];
const ignorable = [];
for (let cp = 0; cp < 0x110000; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue; // lone surrogates pass through (normalize.cc)
  const ch = String.fromCodePoint(cp);
  const im = image(ch);
  // Final_Sigma classes as toLowerCase applies them: skipped (case-ignorable, even if also cased),
  // cased (ends the look-around with "yes"), or neither (ends it with "no").
  if (('1' + ch + '\u03a3').toLowerCase().endsWith('\u03c2')) cased.push(cp);
  else if (('A' + ch + '\u03a3').toLowerCase().endsWith('\u03c2')) ignorable.push(cp);
  for (const c of ch.toLowerCase().normalize('NFD')) {
    if (/\p{M}/u.test(c)) continue;
    if (!('\u0345' + c).normalize('NFD').startsWith('\u0345') || !(c + '\u0334').normalize('NFD').endsWith('\u0334')) {
      fail(`U+${cp.toString(16)}: non-mark ${c} with a non-zero combining class`);
    }
  }
  // normalize.cc classifies a pair of lone surrogates that mark removal joins by its image.
  if (cp > 0xffff && (im === ' ') !== /^[\p{P}\p{S}]$/u.test(ch)) fail(`U+${cp.toString(16)}: P/S but image ${JSON.stringify(im)}`);
  if (cp > 0xffff && (/^\p{Nd}$/u.test(im)) !== /^\p{Nd}$/u.test(ch)) fail(`U+${cp.toString(16)}: Nd and image differ`);
  if (cp === 0x3a3) {
    entries.push([cp, KIND.sigma, 0]);
    continue;
  }
  if (cp >= 0xac00 && cp <= 0xd7a3) {
    if (im !== hangul(cp)) fail(`U+${cp.toString(16)}: Hangul image ${JSON.stringify(im)}`);
    entries.push([cp, KIND.hangul, 0]);
    continue;
  }
  if (/\p{Nd}/u.test(im)) {
    if (im !== ch) fail(`U+${cp.toString(16)}: digit image ${JSON.stringify(im)}`);
    entries.push([cp, KIND.digit, 0]);
    continue;
  }
  if (im === ' ') entries.push([cp, KIND.space, 0]); // U+0020 too: it collapses
  else if (im === ch) continue;
  else if (im === '') entries.push([cp, KIND.drop, 0]);
  else if (im.includes(' ')) fail(`U+${cp.toString(16)}: image mixes spaces and text`);
  else if (cps(im).length === 1) entries.push([cp, KIND.map, im.codePointAt(0) - cp]);
  else {
    if (!poolIndex.has(im)) {
      poolIndex.set(im, pool.length);
      for (let i = 0; i < im.length; i++) pool.push(im.charCodeAt(i));
    }
    if (im.length > 3 * ch.length) fail(`U+${cp.toString(16)}: image longer than 3 units per unit`);
    entries.push([cp, KIND.expand, (poolIndex.get(im) << 8) | im.length]);
  }
}

// Runs of consecutive code points with the same kind and argument.
const runs = [];
for (const [cp, kind, arg] of entries) {
  const last = runs[runs.length - 1];
  if (last && last.hi === cp - 1 && last.kind === kind && last.arg === arg) last.hi = cp;
  else runs.push({ lo: cp, hi: cp, kind, arg });
}
const toRanges = (list) => {
  const out = [];
  for (const cp of list) {
    const last = out[out.length - 1];
    if (last && last[1] === cp - 1) last[1] = cp;
    else out.push([cp, cp]);
  }
  return out;
};
const hex = (n) => `0x${n.toString(16)}`;
const fmtRanges = (rs) => rs.map(([a, b]) => `{${hex(a)}, ${hex(b)}}`).join(',\n    ');
const casedRanges = toRanges(cased);
const ignorableRanges = toRanges(ignorable);
const text = `// Generated by native/scripts/gen-normalize-tables.mjs from Node ${process.version}
// (ICU ${process.versions.icu}, Unicode ${process.versions.unicode}). Do not edit.
#pragma once
#include <cstdint>

namespace refinery::normalize::tables {
// What the MinHash normalizer makes of a code point on its own; code points not listed are
// kept as they are.
enum Kind : uint8_t { kMap = ${KIND.map}, kDrop = ${KIND.drop}, kSpace = ${KIND.space}, kDigit = ${KIND.digit}, kExpand = ${KIND.expand}, kSigma = ${KIND.sigma}, kHangul = ${KIND.hangul} };
// kMap: image = cp + arg (one code point); kDrop: nothing (marks); kSpace: whitespace
// (P, S and \\s); kDigit: \\p{Nd}, itself or '0'; kExpand: kPool[arg >> 8], arg & 0xff units;
// kSigma: U+03A3, σ or ς by context; kHangul: L V (T) jamo.
struct Run { uint32_t lo, hi; uint8_t kind; int32_t arg; };
// ${runs.length} runs, sorted.
static const Run kRuns[] = {
    ${runs.map((r) => `{${hex(r.lo)}, ${hex(r.hi)}, ${r.kind}, ${r.arg}}`).join(',\n    ')}};
// Images of more than one code point (UTF-16).
static const char16_t kPool[] = {${pool.length ? pool.map(hex).join(', ') : '0'}};

struct Range { uint32_t lo, hi; };
// Final_Sigma: code points that are cased and not case-ignorable (${casedRanges.length} ranges).
static const Range kCased[] = {
    ${fmtRanges(casedRanges)}};
// Final_Sigma: case-ignorable code points, skipped when looking for a cased one (${ignorableRanges.length} ranges).
static const Range kCaseIgnorable[] = {
    ${fmtRanges(ignorableRanges)}};
}  // namespace refinery::normalize::tables
`;
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'normalize_tables.h');
writeFileSync(out, text);
console.log(`wrote ${out}: ${runs.length} runs, ${pool.length} pool units, ${casedRanges.length} cased and ${ignorableRanges.length} case-ignorable ranges`);
