// Byte-level BPE as Hugging Face `tokenizers` runs a `tokenizer.json` of type BPE (Llama-3,
// Qwen, GPT-2 style): pre-tokenize, map each piece to bytes, then apply the merges in rank
// order. src/tokenizer/hf-bpe.ts parses the file and hands over token bytes and merges; this
// file owns no vocabulary format.
//
// Merging follows tokenizers' BPE::merge_word: among the adjacent pairs of the current parts
// that appear in `merges`, join the one of lowest merge rank, leftmost on ties, until none is
// left. With `ignore_merges` (Llama-3), a piece that is itself a vocabulary token is that token.
//
// Pre-tokenization: the Llama-3 / Qwen2 split regex, hand-compiled with the regex engines'
// leftmost-alternative and backtracking semantics (see LlamaPiece), or piece ends computed by
// the caller (any other pattern: the JS side runs the regex and passes the ends).
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|
//   \s*[\r\n]+|\s+(?!\S)|\s+                                   (D = 3 for Llama-3, 1 for Qwen2)
//
// Speed (issue #16: the tokenize pass at 30 MB/s per core with Llama-3). The native split runs
// on the UTF-8 itself (a Parquet value as it is read, or a string as V8 writes it: no UTF-16
// round trip), ASCII letters 16 at a time, and a piece is encoded where it lies. Pieces of 1-2
// bytes come from tables; 3-24 bytes from per-thread set-associative caches (EncodePiece);
// else the whole piece from the vocabulary (ignore_merges) or the merge loop (MergeScan: the
// lowest rank by a vector minimum; a merge lookup first asks a per-token signature of merge
// partners, as most lookups find none, then a pair cache, then the merge table). Profiled
// with perf on bench/bpe.ts: cache misses (piece caches, merge lookups) set the pace; huge
// pages for the tables gained under 2% (not kept). bench/bpe.ts measures it;
// test/hf-bpe.test.ts and test/stages/tokenize.test.ts hold it to tokenizers.js.
//
// JS API (src/tokenizer/hf-bpe.ts):
//   bpeLoad(bytes: Uint8Array, offsets: Uint32Array, inVocab: Uint8Array,
//           mergeLeft: Uint32Array, mergeRight: Uint32Array, mergeId: Uint32Array,
//           maxDigits: number (0 = pieces come from the caller), ignoreMerges: boolean) -> model
//   bpeEncode(model, text) -> Uint32Array                             (maxDigits > 0)
//   bpeEncodePieces(model, text, ends: Uint32Array) -> Uint32Array   (piece k = [ends[k-1], ends[k]))
//   bpeEncodeDocs(model, texts: (string | Uint8Array of UTF-8)[], endToken: number (-1: none), width: 2 | 4)
//       -> { tokens: Uint16Array | Uint32Array, lengths: Int32Array, units }   (each doc + endToken; maxDigits > 0)
// A model is used by the JS thread that loaded it (it holds that thread's caches).
#include <algorithm>
#include <cstring>
#include <memory>
#include <queue>
#include <string>
#include <vector>
#ifdef __SSE4_1__
#include <smmintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "doc_batch.h"
#include "kernels.h"
#include "short_words.h"
#include "unicode_class.h"

namespace refinery::bpe {
namespace {

using uclass::Char;
using uclass::CharAt;
using uclass::kLetter;
using uclass::kNumber;
using uclass::kOther;
using uclass::kSpace;
using uclass::Utf8Char;
using uclass::Utf8CharAt;

constexpr uint32_t kNone = 0xffffffffu;
constexpr uint64_t kEmptyKey = ~uint64_t{0};
constexpr size_t kScanMax = 128;  // pieces up to this many bytes merge by scanning, longer by a heap
constexpr uint32_t kPairCacheBits = 17;
// Every byte string hashed or compared has this many readable bytes after it (documents,
// token bytes, the UTF-8 scratch of bpeEncodePieces): whole words are loaded past its end.
constexpr size_t kSlack = 32;

inline uint64_t Mix(uint64_t h) {
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  return h;
}

using words::HashBytes;
using words::HashWords;
using words::kShort;
using words::kWordMask;
using words::Load64;
using words::SameBytes;
using words::ShortWords;
using words::Words;

// A merge (left, right) -> rank packed in 8 bytes, left << 42 | right << 21 | rank (kEmptyKey =
// free): the table is read at every step of every merge, and at 16 bytes a slot it was 16 MB
// for Llama-3's 280k merges, a cache miss per lookup (perf: half the kernel's time). The joined
// token is mergeId[rank], read only when a merge is made.
constexpr uint32_t kFieldBits = 21;
constexpr uint64_t kFieldMask = (uint64_t{1} << kFieldBits) - 1;
inline uint64_t MergeKey(uint32_t a, uint32_t b) { return (uint64_t{a} << kFieldBits | b) << kFieldBits; }

inline uint32_t PartBit(uint32_t id) { return (id * 0x9E3779B1u) >> 26; }

struct VocabSlot {
  uint32_t id;  // kNone = free
  uint32_t tag;
};

// Per-thread caches of pieces and their tokens (words repeat; a piece that merges costs dozens
// of lookups, a vocabulary lookup three cache misses), by piece length: 3-8 bytes (three
// fifths of web text's pieces), 9-16, 17-24. A bucket holds a few entries in one or two cache
// lines; a hit moves its entry one place up and a new piece takes the first free or the last
// place, so the pieces that keep coming back hold the first places (a direct-mapped cache
// missed 16% of lookups on the bench's web documents, most of them merges to redo). Token ids
// are packed in 18 bits: every tokenizer.json in use has fewer than 262,144 tokens, and a
// piece with a larger id is not cached.
constexpr uint32_t kIdBits = 18;
constexpr uint64_t kIdMask = (uint64_t{1} << kIdBits) - 1;
inline uint64_t IdField(const uint32_t* ids, size_t count, size_t k, size_t shift) { return k < count ? uint64_t{ids[k]} << shift : 0; }
inline uint32_t IdAt(uint64_t word, size_t shift) { return static_cast<uint32_t>(word >> shift & kIdMask); }
inline bool IdsFit(const uint32_t* ids, size_t count) {
  uint32_t high = 0;
  for (size_t k = 0; k < count; k++) high |= ids[k];
  return high <= kIdMask;
}

// 3-8 bytes: the piece as one word; len (4 bits), count (2) and up to 3 ids.
constexpr size_t kSmallBytes = 8, kSmallBits = 14;
struct SmallEntry {
  uint64_t w;     // the piece, zero padded
  uint64_t meta;  // len | count << 4 | id0 << 6 | id1 << 24 | id2 << 42; 0 = empty
  bool Empty() const { return meta == 0; }
  bool Holds(uint64_t key, size_t n) const { return w == key && (meta & 15) == n; }
  uint32_t* Emit(uint32_t* out) const {
    out[0] = IdAt(meta, 6);  // all 3 (out has room); count of them are the piece's
    out[1] = IdAt(meta, 24);
    out[2] = IdAt(meta, 42);
    return out + (meta >> 4 & 3);
  }
  static bool Make(uint64_t key, size_t n, const uint32_t* ids, size_t count, SmallEntry& e) {
    if (count > 3 || !IdsFit(ids, count)) return false;
    e = {key, n | count << 4 | IdField(ids, count, 0, 6) | IdField(ids, count, 1, 24) | IdField(ids, count, 2, 42)};
    return true;
  }
};

// 9-16 bytes: two words; len (5 bits), count (3) and up to 6 ids.
constexpr size_t kMediumBytes = 16, kMediumBits = 13;
struct MediumEntry {
  uint64_t w0, w1;
  uint64_t meta;  // len | count << 5 | id0 << 8 | id1 << 26 | id2 << 44; 0 = empty
  uint64_t more;  // id3 | id4 << 18 | id5 << 36
  bool Empty() const { return meta == 0; }
  bool Holds(const Words& key, size_t n) const { return w0 == key.w0 && w1 == key.w1 && (meta & 31) == n; }
  uint32_t* Emit(uint32_t* out) const {
    out[0] = IdAt(meta, 8);
    out[1] = IdAt(meta, 26);
    out[2] = IdAt(meta, 44);
    out[3] = IdAt(more, 0);
    out[4] = IdAt(more, 18);
    out[5] = IdAt(more, 36);
    return out + (meta >> 5 & 7);
  }
  static bool Make(const Words& key, size_t n, const uint32_t* ids, size_t count, MediumEntry& e) {
    if (count > 6 || !IdsFit(ids, count)) return false;
    e = {key.w0, key.w1, n | count << 5 | IdField(ids, count, 0, 8) | IdField(ids, count, 1, 26) | IdField(ids, count, 2, 44),
         IdField(ids, count, 3, 0) | IdField(ids, count, 4, 18) | IdField(ids, count, 5, 36)};
    return true;
  }
};

// 17-24 bytes: three words, len, count and up to 16 ids (the low 16 bits of each, then their
// high 2 bits in one word).
constexpr size_t kBigTokens = 16, kBigBits = 12;
struct alignas(64) BigEntry {
  uint64_t w[3];
  uint8_t len;  // 0 = empty
  uint8_t count;
  uint16_t low[kBigTokens];
  uint32_t high;
  bool Empty() const { return len == 0; }
  bool Holds(const Words& key, size_t n) const { return len == n && w[0] == key.w0 && w[1] == key.w1 && w[2] == key.w2; }
  uint32_t* Emit(uint32_t* out) const {
    for (size_t k = 0; k < kBigTokens; k++) out[k] = low[k] | (high >> (2 * k) & 3) << 16;  // all (out has room)
    return out + count;
  }
  static bool Make(const Words& key, size_t n, const uint32_t* ids, size_t count, BigEntry& e) {
    if (count > kBigTokens || !IdsFit(ids, count)) return false;
    e = BigEntry{{key.w0, key.w1, key.w2}, static_cast<uint8_t>(n), static_cast<uint8_t>(count), {}, 0};
    for (size_t k = 0; k < count; k++) {
      e.low[k] = static_cast<uint16_t>(ids[k]);
      e.high |= (ids[k] >> 16) << (2 * k);
    }
    return true;
  }
};
static_assert(sizeof(BigEntry) == 64);

template <class Entry, size_t kWays>
struct alignas(64) Bucket {
  Entry e[kWays];
};
using SmallBucket = Bucket<SmallEntry, 4>;    // one cache line
using MediumBucket = Bucket<MediumEntry, 4>;  // two
using BigBucket = Bucket<BigEntry, 2>;        // two

struct Model {
  std::vector<uint8_t> bytes;  // token i = bytes[off[i], off[i+1]), then kSlack zero bytes
  std::vector<uint32_t> off;
  std::vector<VocabSlot> vocab;  // bytes -> id, for tokens of the BPE vocabulary
  uint64_t vocabMask = 0;
  std::vector<uint64_t> merges;
  uint64_t mergeMask = 0;
  std::vector<uint32_t> mergeId;  // by rank: the joined token
  // By token a: bit PartBit(b) set for every merge (a, b) (rightsOf), (b, a) (leftsOf).
  std::vector<uint64_t> rightsOf, leftsOf;
  std::vector<uint32_t> pairRank;  // 65,536: the merge rank of two single-byte parts, or kNone
  std::vector<uint32_t> twoBytes;  // 65,536: the token a 2-byte piece is, or kNone (its two bytes)
  std::vector<uint64_t> pairCache = std::vector<uint64_t>(size_t{1} << kPairCacheBits, kEmptyKey);
  uint32_t byteId[256];
  uint32_t maxDigits = 3;
  bool ignoreMerges = false;
  const uint8_t* bmp = uclass::BmpClasses();
  // Scratch of the thread that uses the model.
  std::vector<uint8_t> utf8;
  std::vector<SmallBucket> small = std::vector<SmallBucket>(size_t{1} << kSmallBits, SmallBucket{});
  std::vector<MediumBucket> medium = std::vector<MediumBucket>(size_t{1} << kMediumBits, MediumBucket{});
  std::vector<BigBucket> big = std::vector<BigBucket>(size_t{1} << kBigBits, BigBucket{});
  uint32_t id[kScanMax + 4], key[kScanMax + 4], next[kScanMax + 4], prev[kScanMax + 4];
};

uint32_t FindToken(const Model& m, const uint8_t* p, size_t n) {
  const uint64_t h = HashBytes(p, n);
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  for (uint64_t i = h & m.vocabMask;; i = (i + 1) & m.vocabMask) {
    const VocabSlot& s = m.vocab[i];
    if (s.id == kNone) return kNone;
    if (s.tag == tag && m.off[s.id + 1] - m.off[s.id] == n && SameBytes(m.bytes.data() + m.off[s.id], p, n)) return s.id;
  }
}

inline uint64_t MergeSlotOf(uint64_t key, uint64_t mask) { return Mix(key * 0x9E3779B97F4A7C15ull) & mask; }

inline uint32_t FindMergeInTable(const Model& m, uint64_t key) {
  for (uint64_t i = MergeSlotOf(key, m.mergeMask);; i = (i + 1) & m.mergeMask) {
    const uint64_t s = m.merges[i];
    if ((s & ~kFieldMask) == key) return static_cast<uint32_t>(s & kFieldMask);
    if (s == kEmptyKey) return kNone;
  }
}

// The rank of the merge of parts (a, b); kNone when there is none. Most lookups in merging
// find none (86% of those that missed the pair cache, lingua sentences): the signatures of
// a's right partners and b's left partners (a bit each, by hash) tell most of them apart
// first (lingua 26 -> 33 MB/s). Then a direct-mapped cache of recent pairs (same packing;
// rank kFieldMask = no merge), which stays nearer than the table (8 MB, a miss per lookup).
inline uint32_t FindMerge(Model& m, uint32_t a, uint32_t b) {
  if (!(m.rightsOf[a] >> PartBit(b) & 1) || !(m.leftsOf[b] >> PartBit(a) & 1)) return kNone;
  const uint64_t key = MergeKey(a, b);
  uint64_t& c = m.pairCache[(key * 0x9E3779B97F4A7C15ull) >> (64 - kPairCacheBits)];
  if ((c & ~kFieldMask) == key) {
    const uint32_t r = static_cast<uint32_t>(c & kFieldMask);
    return r == kFieldMask ? kNone : r;
  }
  const uint32_t r = FindMergeInTable(m, key);
  c = key | (r == kNone ? kFieldMask : r);
  return r;
}

// The leftmost lowest of key[0, padded) (padded a multiple of 4).
inline uint32_t MinKey(const uint32_t* key, size_t padded) {
#ifdef __SSE4_1__
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  for (size_t b = 4; b < padded; b += 4) v = _mm_min_epu32(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + b)));
  v = _mm_min_epu32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm_min_epu32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
  return static_cast<uint32_t>(_mm_cvtsi128_si32(v));
#else
  uint32_t best = kNone;
  for (size_t k = 0; k < padded; k++) best = std::min(best, key[k]);
  return best;
#endif
}

// Merge a piece of 2..kScanMax bytes. A part is named by its first byte; key[k] = the rank of
// joining part k with the next one << 7 | k (kNone: none, or k is no longer a part's start),
// so the leftmost lowest rank is the minimum key, found without branches 4 keys at a time
// (a walk of the part list was a dependent load and a mispredicted branch per part).
constexpr uint32_t kPosBits = 7;
static_assert(kScanMax <= (1u << kPosBits) && kFieldBits + kPosBits < 32);
uint32_t* MergeScan(Model& m, const uint8_t* p, size_t n, uint32_t* out) {
  uint32_t* id = m.id;
  uint32_t* key = m.key;
  uint32_t* next = m.next;
  uint32_t* prev = m.prev;
  auto keyOf = [](uint32_t rank, uint32_t k) { return rank == kNone ? kNone : rank << kPosBits | k; };
  for (size_t k = 0; k < n; k++) {
    id[k] = m.byteId[p[k]];
    next[k] = static_cast<uint32_t>(k + 1);
    prev[k] = static_cast<uint32_t>(k) - 1;
  }
  // The first ranks are of byte pairs: one table (the merge table would be a miss each).
  for (size_t k = 0; k + 1 < n; k++) key[k] = keyOf(m.pairRank[p[k] << 8 | p[k + 1]], static_cast<uint32_t>(k));
  const size_t padded = (n + 3) & ~size_t{3};
  for (size_t k = n - 1; k < padded; k++) key[k] = kNone;
  for (;;) {
    const uint32_t best = MinKey(key, padded);
    if (best == kNone) break;
    const uint32_t at = best & ((1u << kPosBits) - 1);
    const uint32_t j = next[at];
    id[at] = m.mergeId[best >> kPosBits];
    key[j] = kNone;
    next[at] = next[j];
    if (next[j] < n) prev[next[j]] = at;
    key[at] = next[at] < n ? keyOf(FindMerge(m, id[at], id[next[at]]), at) : kNone;
    if (at > 0) {
      const uint32_t h = prev[at];
      key[h] = keyOf(FindMerge(m, id[h], id[at]), h);
    }
  }
  for (uint32_t k = 0; k < n; k = next[k]) *out++ = id[k];
  return out;
}

// The same order for long pieces with a heap of (rank, position): an entry is current iff its
// part is alive and still has that rank (a rank names one pair of tokens).
uint32_t* MergeHeap(Model& m, const uint8_t* p, size_t n, uint32_t* out) {
  std::vector<uint32_t> id(n), rank(n, kNone), next(n), prev(n);
  std::vector<uint8_t> alive(n, 1);
  for (size_t k = 0; k < n; k++) {
    id[k] = m.byteId[p[k]];
    next[k] = static_cast<uint32_t>(k + 1);
    prev[k] = static_cast<uint32_t>(k) - 1;
  }
  using Entry = std::pair<uint32_t, uint32_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  auto update = [&](uint32_t k) {
    rank[k] = next[k] < n ? FindMerge(m, id[k], id[next[k]]) : kNone;
    if (rank[k] != kNone) heap.emplace(rank[k], k);
  };
  for (uint32_t k = 0; k < n; k++) update(k);
  while (!heap.empty()) {
    const auto [r, k] = heap.top();
    heap.pop();
    if (!alive[k] || rank[k] != r) continue;
    const uint32_t j = next[k];
    alive[j] = 0;
    id[k] = m.mergeId[r];
    next[k] = next[j];
    if (next[j] < n) prev[next[j]] = k;
    update(k);
    if (k > 0) update(prev[k]);
  }
  for (uint32_t k = 0; k < n; k = next[k]) *out++ = id[k];
  return out;
}

// A piece no cache holds: the whole piece if it is a token (ignore_merges), else its merges.
uint32_t* EncodeUncached(Model& m, const uint8_t* p, size_t n, uint32_t* out) {
  const uint32_t whole = m.ignoreMerges ? FindToken(m, p, n) : kNone;
  if (whole != kNone) {
    *out++ = whole;
    return out;
  }
  return n <= kScanMax ? MergeScan(m, p, n, out) : MergeHeap(m, p, n, out);
}

inline uint64_t SmallHash(uint64_t w, size_t n) {
  uint64_t h = (w ^ (n * 0x9E3779B97F4A7C15ull)) * 0xbf58476d1ce4e5b9ull;
  return (h ^ (h >> 31)) * 0x94d049bb133111ebull;
}

// A piece of a cached length: from bucket b, or encoded and put there.
template <class Entry, size_t kWays, class Key>
inline uint32_t* Cached(Model& m, Bucket<Entry, kWays>& b, const Key& key, const uint8_t* p, size_t n, uint32_t* out) {
  for (size_t k = 0; k < kWays; k++) {
    if (b.e[k].Holds(key, n)) {
      uint32_t* end = b.e[k].Emit(out);
      if (k > 0) std::swap(b.e[k], b.e[k - 1]);
      return end;
    }
  }
  uint32_t* end = EncodeUncached(m, p, n, out);
  Entry e;
  if (Entry::Make(key, n, out, end - out, e)) {
    size_t k = 0;
    while (k + 1 < kWays && !b.e[k].Empty()) k++;
    b.e[k] = e;
  }
  return end;
}

// The tokens of piece p[0, n) (kSlack readable bytes after it) written at out; returns the end.
// out has room for n + kBigTokens ids.
inline uint32_t* EncodePiece(Model& m, const uint8_t* p, size_t n, uint32_t* out) {
  if (n == 1) {
    *out = m.byteId[p[0]];
    return out + 1;
  }
  if (n == 2) {  // from a table: a tenth of web text's pieces
    const uint32_t t = m.twoBytes[p[0] << 8 | p[1]];
    if (t != kNone) {
      *out = t;
      return out + 1;
    }
    out[0] = m.byteId[p[0]];
    out[1] = m.byteId[p[1]];
    return out + 2;
  }
  if (n <= kSmallBytes) {
    const uint64_t w = Load64(p) & kWordMask.m[n][0];
    return Cached(m, m.small[SmallHash(w, n) >> (64 - kSmallBits)], w, p, n, out);
  }
  if (n <= kShort) {
    const Words w = ShortWords(p, n);
    const uint64_t h = HashWords(w, n);
    if (n <= kMediumBytes) return Cached(m, m.medium[h >> (64 - kMediumBits)], w, p, n, out);
    return Cached(m, m.big[h >> (64 - kBigBits)], w, p, n, out);
  }
  return EncodeUncached(m, p, n, out);
}

// (?i:...) on the contractions' letters: ASCII case, and U+017F LATIN SMALL LETTER LONG S,
// which simple case folding maps to 's'.
inline uint32_t Fold(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c | 0x20;
  return c == 0x17f ? 's' : c;
}

inline uint8_t ClassAt(const uint8_t* bmp, const uint8_t* s, size_t k) { return s[k] < 0x80 ? bmp[s[k]] : Utf8CharAt(bmp, s, k).cls; }

// ASCII letters at the start of s[0, 16): (c | 0x20) - 'a' < 26 (a byte >= 0x80 fails it).
inline size_t AsciiLetters16(const uint8_t* s) {
#ifndef __SSE2__
  size_t k = 0;
  while (k < 16 && static_cast<uint8_t>((s[k] | 0x20) - 'a') < 26) k++;
  return k;
#else
  const __m128i u = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
  const __m128i t = _mm_sub_epi8(_mm_or_si128(u, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
  const uint32_t letters = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(25)), t)));
  return static_cast<size_t>(__builtin_ctz(~letters));  // bit 16 of ~letters is set
#endif
}

// The end of the \p{L}+ run from s[k]; the zero bytes after the text end it.
inline size_t LetterRun(const uint8_t* bmp, const uint8_t* s, size_t k) {
  for (;;) {
    if (s[k] < 0x80) {  // Latin text: 16 ASCII bytes a step
      const size_t r = AsciiLetters16(s + k);
      k += r;
      if (r == 16 || s[k] >= 0x80) continue;
      return k;
    }
    const Utf8Char c = Utf8CharAt(bmp, s, k);
    if (c.cls != kLetter) return k;
    k += c.len;
  }
}

// End (byte offset) of the piece starting at s[i] of valid UTF-8 text s[0, n) (kSlack zero
// bytes after it), by the Llama-3 / Qwen2 pattern (top of file). Each branch is the first
// alternative that matches at i, with the length the backtracking engine settles on.
size_t LlamaPiece(const uint8_t* bmp, const uint8_t* s, size_t n, size_t i, uint32_t maxDigits) {
  auto run = [&](size_t k, uint8_t cls) {
    while (k < n) {
      const Utf8Char c = Utf8CharAt(bmp, s, k);
      if (c.cls != cls) break;
      k += c.len;
    }
    return k;
  };
  const uint32_t c0 = s[i];
  if (c0 == '\'' && i + 1 < n) {
    const bool longS = s[i + 1] == 0xc5 && s[i + 2] == 0xbf;  // U+017F
    const uint32_t a = longS ? 's' : Fold(s[i + 1]);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + (longS ? 3 : 2);
    if (i + 2 < n) {
      const uint32_t b = Fold(s[i + 2]);
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    }
  }
  const Utf8Char ch = Utf8CharAt(bmp, s, i);
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (ch.cls == kLetter) return LetterRun(bmp, s, i + ch.len);
  if (ch.cls != kNumber && c0 != '\r' && c0 != '\n') {
    const size_t k = i + ch.len;
    if (k < n && ClassAt(bmp, s, k) == kLetter) return LetterRun(bmp, s, k);
  }
  // \p{N}{1,D}
  if (ch.cls == kNumber) {
    size_t k = i + ch.len;
    for (uint32_t d = 1; d < maxDigits && k < n; d++) {
      const Utf8Char c = Utf8CharAt(bmp, s, k);
      if (c.cls != kNumber) break;
      k += c.len;
    }
    return k;
  }
  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  {
    size_t k = i;
    if (c0 == ' ' && k + 1 < n && ClassAt(bmp, s, k + 1) == kOther) k++;
    const Utf8Char c = Utf8CharAt(bmp, s, k);
    if (c.cls == kOther) {
      k = run(k + c.len, kOther);
      while (k < n && (s[k] == '\r' || s[k] == '\n')) k++;
      return k;
    }
  }
  // ch is white space.
  size_t j = i, last = i, count = 0, lastBreak = kNone;
  while (j < n) {
    const Utf8Char c = Utf8CharAt(bmp, s, j);
    if (c.cls != kSpace) break;
    if (s[j] == '\r' || s[j] == '\n') lastBreak = j;
    last = j;
    j += c.len;
    count++;
  }
  if (lastBreak != kNone) return lastBreak + 1;  // \s*[\r\n]+: up to the last line break of the run
  if (j == n || count == 1) return j;            // \s+(?!\S) at the end, or \s+
  return last;                                   // \s+(?!\S): the last space starts the next piece
}

// Valid UTF-8 text s[0, n) with kSlack zero bytes after it (docs::ReadDocUtf8), split by the
// native pattern; appends its ids to out.
void EncodeUtf8(Model& m, const uint8_t* s, size_t n, std::vector<uint32_t>& out) {
  const size_t at = out.size();
  out.resize(at + n + kBigTokens);  // at most one token per byte, and EncodePiece's overrun
  uint32_t* o = out.data() + at;
  for (size_t i = 0; i < n;) {
    const size_t j = LlamaPiece(m.bmp, s, n, i, m.maxDigits);
    o = EncodePiece(m, s + i, j - i, o);
    i = j;
  }
  out.resize(o - out.data());
}

// UTF-8 of s[i, j) at out; returns its length.
inline size_t ToUtf8(const uint8_t* bmp, const char16_t* s, size_t n, size_t i, size_t j, uint8_t* out) {
  size_t b = 0;
  while (i < j) {
    const uint32_t c = s[i];
    if (c < 0x80) {
      out[b++] = static_cast<uint8_t>(c);
      i++;
      continue;
    }
    const Char ch = CharAt(bmp, s, n, i);
    b += uclass::PutUtf8(out + b, ch.cp);
    i += ch.units;
  }
  return b;
}

// UTF-16 text cut at piece ends computed by the caller (the JS regex of any other pattern).
void EncodePieces(Model& m, const char16_t* s, size_t n, const uint32_t* ends, size_t nends, std::vector<uint32_t>& out) {
  if (m.utf8.size() < 3 * n + kSlack) m.utf8.resize(3 * n + kSlack);
  uint8_t* buf = m.utf8.data();
  const size_t at = out.size();
  out.resize(at + 3 * n + kBigTokens);
  uint32_t* o = out.data() + at;
  size_t i = 0;
  for (size_t piece = 0; i < n && piece < nends; piece++) {
    const size_t j = std::min<size_t>(std::max<size_t>(ends[piece], i), n);
    if (j == i) continue;
    o = EncodePiece(m, buf, ToUtf8(m.bmp, s, n, i, j, buf), o);
    i = j;
  }
  out.resize(o - out.data());
}

void Finalize(Napi::Env, Model* m) { delete m; }

Model* GetModel(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "bpe: the first argument must be a model from bpeLoad").ThrowAsJavaScriptException();
    return nullptr;
  }
  return info[0].As<Napi::External<Model>>().Data();
}

Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsTypedArray() ||
      !info[3].IsTypedArray() || !info[4].IsTypedArray() || !info[5].IsTypedArray() || !info[6].IsNumber()) {
    Napi::TypeError::New(env, "bpeLoad(bytes, offsets, inVocab, mergeLeft, mergeRight, mergeId, maxDigits, ignoreMerges)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto bytes = info[0].As<Napi::Uint8Array>();
  auto offs = info[1].As<Napi::Uint32Array>();
  auto inVocab = info[2].As<Napi::Uint8Array>();
  auto left = info[3].As<Napi::Uint32Array>();
  auto right = info[4].As<Napi::Uint32Array>();
  auto joined = info[5].As<Napi::Uint32Array>();
  const size_t count = offs.ElementLength() - 1;
  if (offs.ElementLength() < 2 || offs[count] != bytes.ElementLength() || inVocab.ElementLength() != count ||
      left.ElementLength() != right.ElementLength() || left.ElementLength() != joined.ElementLength()) {
    Napi::RangeError::New(env, "bpeLoad: inconsistent array lengths").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto m = std::make_unique<Model>();
  m->bytes.assign(bytes.Data(), bytes.Data() + bytes.ElementLength());
  m->bytes.resize(bytes.ElementLength() + kSlack, 0);
  m->off.assign(offs.Data(), offs.Data() + offs.ElementLength());
  m->maxDigits = info[6].As<Napi::Number>().Uint32Value();
  m->ignoreMerges = info[7].ToBoolean().Value();
  size_t cap = 1;
  while (cap < 2 * count + 2) cap <<= 1;
  m->vocab.assign(cap, VocabSlot{kNone, 0});
  m->vocabMask = cap - 1;
  for (uint32_t id = 0; id < count; id++) {
    if (!inVocab[id]) continue;
    const size_t len = m->off[id + 1] - m->off[id];
    const uint8_t* p = m->bytes.data() + m->off[id];
    if (len == 0 || FindToken(*m, p, len) != kNone) continue;  // the first id of equal bytes wins
    const uint64_t h = HashBytes(p, len);
    uint64_t i = h & m->vocabMask;
    while (m->vocab[i].id != kNone) i = (i + 1) & m->vocabMask;
    m->vocab[i] = VocabSlot{id, static_cast<uint32_t>(h >> 32)};
  }
  for (int b = 0; b < 256; b++) {
    const uint8_t c[1 + kSlack] = {static_cast<uint8_t>(b)};
    m->byteId[b] = FindToken(*m, c, 1);
    if (m->byteId[b] == kNone) {
      Napi::RangeError::New(env, "bpeLoad: byte " + std::to_string(b) + " has no token (not a byte-level vocabulary)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  const size_t nm = left.ElementLength();
  if (count >= kFieldMask || nm >= kFieldMask) {
    Napi::RangeError::New(env, "bpeLoad: at most 2,097,150 tokens and merges are supported").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  cap = 1;
  while (cap < 2 * nm + 2) cap <<= 1;
  m->merges.assign(cap, kEmptyKey);
  m->mergeMask = cap - 1;
  m->mergeId.assign(joined.Data(), joined.Data() + nm);
  m->rightsOf.assign(count, 0);
  m->leftsOf.assign(count, 0);
  for (uint32_t r = 0; r < nm; r++) {
    if (left[r] >= count || right[r] >= count || joined[r] >= count) {
      Napi::RangeError::New(env, "bpeLoad: merge " + std::to_string(r) + " names a token past the vocabulary").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const uint64_t key = MergeKey(left[r], right[r]);
    m->rightsOf[left[r]] |= (uint64_t{1} << PartBit(right[r]));
    m->leftsOf[right[r]] |= (uint64_t{1} << PartBit(left[r]));
    uint64_t i = MergeSlotOf(key, m->mergeMask);
    while (m->merges[i] != kEmptyKey && (m->merges[i] & ~kFieldMask) != key) i = (i + 1) & m->mergeMask;
    if (m->merges[i] != kEmptyKey) continue;  // a repeated merge keeps its first (lowest) rank
    m->merges[i] = key | r;
  }
  m->pairRank.resize(0x10000);
  m->twoBytes.resize(0x10000);
  for (uint32_t x = 0; x < 0x10000; x++) {
    m->pairRank[x] = FindMergeInTable(*m, MergeKey(m->byteId[x >> 8], m->byteId[x & 0xff]));
    const uint8_t c[2 + kSlack] = {static_cast<uint8_t>(x >> 8), static_cast<uint8_t>(x & 0xff)};
    const uint32_t whole = m->ignoreMerges ? FindToken(*m, c, 2) : kNone;
    m->twoBytes[x] = whole != kNone ? whole : m->pairRank[x] != kNone ? m->mergeId[m->pairRank[x]] : kNone;
  }
  return Napi::External<Model>::New(env, m.release(), Finalize);
}

Napi::Uint32Array ToArray(Napi::Env env, const std::vector<uint32_t>& v) {
  Napi::Uint32Array a = Napi::Uint32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * 4);
  return a;
}

// bpeEncode and bpeEncodeDocs split by the native pattern: not for a model loaded with maxDigits 0.
bool SplitsNatively(Napi::Env env, const Model& m, const char* name) {
  if (m.maxDigits > 0) return true;
  Napi::TypeError::New(env, std::string(name) + ": this model's pieces come from the caller (bpeEncodePieces)").ThrowAsJavaScriptException();
  return false;
}

Napi::Value EncodeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Model* m = GetModel(info);
  if (!m || !SplitsNatively(env, *m, "bpeEncode")) return env.Undefined();
  thread_local docs::Utf8Doc doc;
  if (info.Length() < 2 || !info[1].IsString() || !docs::ReadDocUtf8(env, info[1], doc, kSlack)) {
    Napi::TypeError::New(env, "bpeEncode(model, text: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint32_t> ids;
  EncodeUtf8(*m, doc.buf.get(), doc.size, ids);
  return ToArray(env, ids);
}

Napi::Value EncodePiecesJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Model* m = GetModel(info);
  if (!m) return env.Undefined();
  thread_local std::u16string buf;
  if (info.Length() < 3 || !ReadUtf16(env, info[1], buf) || !info[2].IsTypedArray()) {
    Napi::TypeError::New(env, "bpeEncodePieces(model, text: string, ends: Uint32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto ends = info[2].As<Napi::Uint32Array>();
  std::vector<uint32_t> ids;
  EncodePieces(*m, buf.data(), buf.size(), ends.Data(), ends.ElementLength(), ids);
  return ToArray(env, ids);
}

Napi::Value EncodeDocsJs(const Napi::CallbackInfo& info) {
  Model* m = GetModel(info);
  if (!m) return info.Env().Undefined();
  if (!SplitsNatively(info.Env(), *m, "bpeEncodeDocs")) return info.Env().Undefined();
  return docs::EncodeDocsUtf8(info, 1, "bpeEncodeDocs", kSlack, [m](const uint8_t* s, size_t n, std::vector<uint32_t>& ids) { EncodeUtf8(*m, s, n, ids); });
}

}  // namespace
}  // namespace refinery::bpe

namespace refinery {
void InitBpe(Napi::Env env, Napi::Object exports) {
  exports.Set("bpeLoad", Napi::Function::New(env, bpe::Load));
  exports.Set("bpeEncode", Napi::Function::New(env, bpe::EncodeJs));
  exports.Set("bpeEncodePieces", Napi::Function::New(env, bpe::EncodePiecesJs));
  exports.Set("bpeEncodeDocs", Napi::Function::New(env, bpe::EncodeDocsJs));
}
}  // namespace refinery
