// Byte strings as little-endian words, for hashing and comparing the short pieces of byte-level
// BPE a word at a time: a string of at most kShort bytes is three zero-padded words. Readers
// load whole words past a string's end: every buffer they read keeps slack after its last byte
// (24 bytes for ShortWords, 8 for the rest). Used by gpt2_bpe.cc and bpe.cc.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace refinery::words {

inline uint64_t Load64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The first n bytes of a little-endian word (n may exceed 8 or be negative: all or none).
inline uint64_t LowBytes(uint64_t w, ptrdiff_t n) {
  if (n >= 8) return w;
  if (n <= 0) return 0;
  return w & ((uint64_t{1} << (8 * n)) - 1);
}

constexpr size_t kShort = 24;

// kWordMask.m[n][k]: the bytes of word k that belong to an n-byte string (n <= kShort).
struct WordMasks {
  uint64_t m[kShort + 1][3];
  constexpr WordMasks() : m() {
    for (size_t n = 0; n <= kShort; n++)
      for (size_t k = 0; k < 3; k++) {
        const ptrdiff_t r = static_cast<ptrdiff_t>(n) - static_cast<ptrdiff_t>(8 * k);
        m[n][k] = r >= 8 ? ~uint64_t{0} : r <= 0 ? 0 : (uint64_t{1} << (8 * r)) - 1;
      }
  }
};
constexpr WordMasks kWordMask;

struct Words {
  uint64_t w0, w1, w2;
};
inline Words ShortWords(const uint8_t* p, size_t n) {
  const uint64_t* m = kWordMask.m[n];
  return {Load64(p) & m[0], Load64(p + 8) & m[1], Load64(p + 16) & m[2]};
}

inline uint64_t HashWords(const Words& w, size_t n) {
  uint64_t h = (w.w0 ^ (n * 0x9E3779B97F4A7C15ull)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 31) ^ w.w1) * 0x94d049bb133111ebull;
  h = (h ^ (h >> 29) ^ w.w2) * 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

inline uint64_t HashBytes(const uint8_t* p, size_t n) {
  if (n <= kShort) return HashWords(ShortWords(p, n), n);
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    h = (h ^ Load64(p + i)) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  h = (h ^ LowBytes(Load64(p + i), static_cast<ptrdiff_t>(n - i))) * 0x94d049bb133111ebull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

inline bool SameBytes(const uint8_t* a, const uint8_t* b, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    if (Load64(a + i) != Load64(b + i)) return false;
  return LowBytes(Load64(a + i) ^ Load64(b + i), static_cast<ptrdiff_t>(n - i)) == 0;
}

}  // namespace refinery::words
