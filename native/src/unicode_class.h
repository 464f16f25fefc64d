// The character classes that regex pre-tokenizers of byte-level BPE tokenizers test:
// \p{L}, \p{N} (unicode_tables.h) and \s = Unicode White_Space (what Rust's regex and
// Oniguruma take \s to be), plus UTF-8 input and output. Used by both BPE kernels (bpe.cc, gpt2_bpe.cc).
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "unicode_tables.h"

namespace refinery::uclass {

enum Cls : uint8_t { kOther = 0, kLetter = 1, kNumber = 2, kSpace = 3 };

inline bool InRanges(const unicode::Range* r, size_t count, uint32_t cp) {
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r[mid].hi < cp) lo = mid + 1;
    else hi = mid;
  }
  return lo < count && r[lo].lo <= cp;
}

inline bool IsWhiteSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
         c == 0x3000;
}

inline uint8_t SlowClass(uint32_t cp) {
  if (IsWhiteSpace(cp)) return kSpace;
  constexpr size_t nl = sizeof(unicode::kLetters) / sizeof(unicode::kLetters[0]);
  constexpr size_t nn = sizeof(unicode::kNumbers) / sizeof(unicode::kNumbers[0]);
  if (InRanges(unicode::kLetters, nl, cp)) return kLetter;
  if (InRanges(unicode::kNumbers, nn, cp)) return kNumber;
  return kOther;
}

// The class of every BMP code point, built once per process (thread-safe).
inline const uint8_t* BmpClasses() {
  static uint8_t table[0x10000];
  static std::once_flag once;
  std::call_once(once, [] {
    for (uint32_t c = 0; c < 0x10000; c++) table[c] = SlowClass(c);
  });
  return table;
}

// One character of UTF-16 text. A lone surrogate reads as U+FFFD (what TextEncoder makes of it).
struct Char {
  uint32_t cp;
  uint32_t units;
  uint8_t cls;
};

inline Char CharAt(const uint8_t* bmp, const char16_t* s, size_t n, size_t k) {
  const uint32_t c = s[k];
  if (c - 0xd800u >= 0x800u) return {c, 1, bmp[c]};
  if (c <= 0xdbff && k + 1 < n && static_cast<uint32_t>(s[k + 1]) - 0xdc00u < 0x400u) {
    const uint32_t cp = 0x10000 + ((c - 0xd800) << 10) + (s[k + 1] - 0xdc00u);
    return {cp, 2, SlowClass(cp)};
  }
  return {0xfffd, 1, kOther};
}

inline size_t PutUtf8(uint8_t* out, uint32_t c) {
  if (c < 0x80) {
    out[0] = static_cast<uint8_t>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<uint8_t>(0xc0 | (c >> 6));
    out[1] = static_cast<uint8_t>(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<uint8_t>(0xe0 | (c >> 12));
    out[1] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3f));
    out[2] = static_cast<uint8_t>(0x80 | (c & 0x3f));
    return 3;
  }
  out[0] = static_cast<uint8_t>(0xf0 | (c >> 18));
  out[1] = static_cast<uint8_t>(0x80 | ((c >> 12) & 0x3f));
  out[2] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3f));
  out[3] = static_cast<uint8_t>(0x80 | (c & 0x3f));
  return 4;
}

// One character of valid UTF-8 (what docs::ReadDocUtf8 hands over) at s[k]: len bytes.
struct Utf8Char {
  uint32_t cp;
  uint32_t len;
  uint8_t cls;
};

// A 4-byte character (emoji, rare scripts): its class by binary search. Out of line, so the
// scanners' loops that inline Utf8CharAt stay small.
__attribute__((noinline)) inline Utf8Char Utf8CharOutsideBmp(const uint8_t* s) {
  const uint32_t cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
  return {cp, 4, SlowClass(cp)};
}

__attribute__((always_inline)) inline Utf8Char Utf8CharAt(const uint8_t* bmp, const uint8_t* s, size_t k) {
  const uint32_t c = s[k];
  if (c < 0x80) return {c, 1, bmp[c]};
  if (c < 0xe0) {
    const uint32_t cp = (c & 0x1f) << 6 | (s[k + 1] & 0x3f);
    return {cp, 2, bmp[cp]};
  }
  if (c < 0xf0) {
    const uint32_t cp = (c & 0x0f) << 12 | (s[k + 1] & 0x3f) << 6 | (s[k + 2] & 0x3f);
    return {cp, 3, bmp[cp]};
  }
  return Utf8CharOutsideBmp(s + k);
}

}  // namespace refinery::uclass
