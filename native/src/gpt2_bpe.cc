// GPT-2 byte-level BPE, token for token equal to tiktoken's `gpt2` encoding (= r50k_base).
//
// Vocabulary: the 50,256 mergeable ranks (token bytes in rank order) are handed over once by
// src/tokenizer/gpt2.ts, which reads them from the `tiktoken` npm package
// (encoders/gpt2.json); nothing is downloaded. <|endoftext|> is never produced: text is
// encoded as ordinary text (tiktoken's encode_ordinary).
//
// Pre-tokenization is GPT-2's regex, hand-compiled (same leftmost-alternative and
// backtracking semantics as tiktoken's fancy-regex):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// with \p{L}/\p{N} from unicode_tables.h and \s = Unicode White_Space (Rust regex's \s).
// Merging is tiktoken's byte_pair_merge: repeatedly merge the adjacent pair whose
// concatenation has the lowest rank, leftmost on ties; pieces longer than kHeapFrom bytes use
// a heap with the same order so a 100 kB whitespace run is not quadratic.
//
// Speed (issue #5: the RefinedWeb MinHash preset tokenizes every document; issue #16: the
// tokenize pass). The scanner reads UTF-8 (ASCII letters 16 at a time) and a piece is a slice
// of the document: a Parquet text value is only validated and copied once (as TextDecoder
// would read it), a JS string is taken as V8's UTF-8, UTF-16 callers (MinHash) convert once,
// and UTF-16 offsets are mapped back after encoding. Pieces of 1-2 bytes come from byte
// tables, longer ones from two per-thread caches (16-byte entries for 3-8 bytes, 64-byte for
// 9-24), else from the vocabulary (whole piece) or the merge loop, which joins parts by token
// id and finds the lowest rank with PHMINPOSUW. Profiled with perf and callgrind's
// branch/cache simulation: cache misses and mispredicted branches, more than instructions,
// set the pace, hence the compact tables (the vocabulary's and the joins' must stay in L2)
// and branch-free lookups. bench/gpt2.ts and bench/tokenize.ts measure it; test/gpt2.test.ts
// holds it to tiktoken.
#include "gpt2_bpe.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#ifdef __SSE4_1__
#include <smmintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "doc_batch.h"
#include "kernels.h"
#include "short_words.h"
#include "unicode_class.h"

namespace refinery::gpt2 {
namespace {

constexpr uint32_t kNoRank = 0xffffffffu;
constexpr uint16_t kNoPair = 0xffff;      // no token joins these two parts
constexpr uint16_t kSentinelId = 0xfffe;  // a part id that joins nothing
constexpr size_t kHeapFrom = 96;
// Token ids are kept in 16 bits in the caches and the merge loop: GPT-2 has 50,256.
constexpr size_t kMaxTokens = 0xfffe;  // ids 0..0xfffd; 0xfffe and 0xffff are markers
// Reading whole 8-byte words past the end of a byte string is allowed: every buffer hashed or
// compared keeps this much readable slack after its last byte.
constexpr size_t kSlack = 24;

using uclass::kOther;
using uclass::kLetter;
using uclass::kNumber;
using uclass::kSpace;

// The vocabulary's hash table: 4 bytes a slot (512 kB, half of what 8-byte slots took: the
// table is read on every piece no cache holds), the token's length and 8 hash bits to skip
// most slots of other tokens before their bytes are compared.
struct Slot {
  uint16_t id1;  // token id + 1; 0 = empty
  uint8_t len;
  uint8_t tag;  // hash bits 32-39
};

// Two adjacent parts a, b (token ids) -> the id of the token a's bytes + b's bytes, if any.
// h = (a << 16 | b) * odd is a bijection of 32-bit keys, so its high 16 bits pick a bucket
// and its low 16 bits alone tell the keys of a bucket apart: an entry is (low half << 16 |
// id), 4 bytes, and the buckets' entries lie back to back behind a directory: a 32-bit start
// per group of buckets and a byte per bucket from there. 108k joins take 500 kB: they stay
// in L2, where 64-byte buckets of whole keys (2 MB) missed on most lookups (the merge loop's
// top stall, measured with perf; 16-byte buckets, one load but 1 MB, were slower still).
constexpr uint32_t kPairMul = 0x9E3779B1u;
struct Join {
  uint32_t h;  // (a << 16 | b) * kPairMul
  uint32_t id;
};

struct Vocab {
  std::vector<uint8_t> bytes;  // all token bytes, then kSlack zero bytes
  std::vector<uint32_t> off;   // token i = bytes[off[i], off[i+1])
  std::vector<uint8_t> len;    // byte length of each token
  std::vector<Slot> table;     // token bytes -> id
  uint64_t mask = 0;
  // Bucket k's entries start at pairEnt[pairBase[k >> pairGroupBits] + pairOff[k]] and end where k + 1's start.
  std::vector<uint32_t> pairBase;
  std::vector<uint8_t> pairOff;  // 65,537
  uint32_t pairGroupBits = 0;
  std::vector<uint32_t> pairEnt;  // low half of h << 16 | id, + 4 entries of padding
  std::vector<uint16_t> bytePair;  // 65,536: the token of two bytes, or kNoPair
  uint16_t byteId[256] = {};       // the token of one byte
  bool loaded = false;
};

Vocab g_vocab;
uint64_t g_vocabGeneration = 0;  // bumped by every gpt2Load: per-thread caches reset on change
uint8_t g_bmpClass[0x10000];
bool g_classesReady = false;

// Word-wise hashing and comparing of short byte strings, shared with bpe.cc (kShort = 24:
// pieces up to this many bytes are hashed and cached as 3 words; readers load up to kSlack
// bytes past a string's end).
using words::HashBytes;
using words::HashWords;
using words::kShort;
using words::LowBytes;
using words::SameBytes;
using words::ShortWords;
using words::Words;

inline uint32_t RankHashed(const uint8_t* p, size_t n, uint64_t h) {
  const Vocab& v = g_vocab;
  const uint8_t tag = static_cast<uint8_t>(h >> 32);
  for (uint64_t i = h & v.mask;; i = (i + 1) & v.mask) {
    const Slot s = v.table[i];
    if (s.id1 == 0) return kNoRank;
    if (s.tag == tag && s.len == n) {
      const uint32_t id = s.id1 - 1u;
      if (SameBytes(v.bytes.data() + v.off[id], p, n)) return id;
    }
  }
}

inline uint32_t Rank(const uint8_t* p, size_t n) { return RankHashed(p, n, HashBytes(p, n)); }

__attribute__((noinline)) uint16_t PairIdSlow(const Vocab& v, uint32_t from, uint32_t to, uint32_t low) {
  for (uint32_t i = from; i < to; i++)
    if (v.pairEnt[i] >> 16 == low) return static_cast<uint16_t>(v.pairEnt[i]);
  return kNoPair;
}

// The token joining parts a and b, or kNoPair.
inline uint16_t PairId(const Vocab& v, uint32_t a, uint32_t b) {
  const uint32_t h = (a << 16 | b) * kPairMul;
  const uint32_t bucket = h >> 16, low = h & 0xffff;
  const uint32_t from = v.pairBase[bucket >> v.pairGroupBits] + v.pairOff[bucket];
  const uint32_t count = v.pairBase[(bucket + 1) >> v.pairGroupBits] + v.pairOff[bucket + 1] - from;
  const uint32_t* e = v.pairEnt.data() + from;
  if (__builtin_expect(count > 4, 0)) return PairIdSlow(v, from, from + count, low);
#ifdef __SSE2__
  // The bucket's (up to) 4 entries at once (pairEnt is padded); those past count masked off.
  const __m128i hi = _mm_srli_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(e)), 16);
  const uint32_t hit = static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(hi, _mm_set1_epi32(static_cast<int>(low)))))) & ((1u << count) - 1);
#else
  uint32_t hit = 0;
  for (uint32_t i = 0; i < count; i++) hit |= static_cast<uint32_t>(e[i] >> 16 == low) << i;
#endif
  return hit ? static_cast<uint16_t>(e[__builtin_ctz(hit)]) : kNoPair;
}

// A direct-mapped cache of short pieces and their tokens: words repeat, and a piece that
// needs merging costs dozens of lookups. One 64-byte line per piece; exact: the piece bytes
// are compared.
constexpr size_t kCacheTokens = 18, kCacheSlots = 4096;
constexpr size_t kChunk = 4096;  // tokens buffered before appending them to the caller's vector
static_assert(kChunk >= kHeapFrom);
struct alignas(64) CacheEntry {
  uint64_t w[3];  // the piece, zero padded
  uint8_t len;    // 0 = empty
  uint8_t count;
  uint16_t ids[kCacheTokens];
};
static_assert(sizeof(CacheEntry) == 64);

// Pieces of 3-8 bytes (over half of them) in a second cache of 16-byte entries: four per
// cache line, so the hot ones stay in L2 (the 64-byte cache's lookups were its top stall).
constexpr size_t kSmallBytes = 8, kSmallTokens = 3, kSmallSlots = 16384;
struct alignas(16) SmallEntry {
  uint64_t w;    // the piece, zero padded
  uint8_t len;   // 0 = empty
  uint8_t count;
  uint16_t ids[kSmallTokens];
};
static_assert(sizeof(SmallEntry) == 16);

// Character classes are shared with the generic BPE (unicode_class.h); the table is copied
// into this file's own array, which the hot loops index directly.
using uclass::PutUtf8;

void InitClasses() {
  if (g_classesReady) return;
  std::memcpy(g_bmpClass, uclass::BmpClasses(), sizeof g_bmpClass);
  g_classesReady = true;
}

struct Scratch {
  // A UTF-16 text (Encode's input) as UTF-8, + kSlack.
  docs::Utf8Doc doc;
  // The merge state of one piece shorter than kHeapFrom bytes.
  // (+ sentinels and the minimum scan's padding)
  uint16_t partId[kHeapFrom + 16], partRank[kHeapFrom + 16];
  uint8_t partNext[kHeapFrom + 16], partPrev[kHeapFrom + 16];
  std::vector<std::pair<uint32_t, uint32_t>> parts;  // MergeHeap's result
  uint32_t tok[kChunk + kCacheTokens], tokAt[kChunk];  // output tokens and their byte offsets, not yet appended
  std::vector<CacheEntry> cache = std::vector<CacheEntry>(kCacheSlots, CacheEntry{});
  std::vector<SmallEntry> small = std::vector<SmallEntry>(kSmallSlots, SmallEntry{});
  uint64_t generation = 0;
};
thread_local Scratch t_scratch;

// tiktoken's byte_pair_merge for a piece of 2..kHeapFrom-1 bytes: repeatedly join the
// adjacent parts whose concatenation is the lowest-ranked token, leftmost on ties. Every part
// is a token, and a token's rank is its id, so the parts' ids come out of the merge itself.
// A part is named by its first byte; a joined part's right half stays in the arrays with rank
// kNoPair, so the leftmost minimum is one vector scan (PHMINPOSUW: 8 ranks per instruction).
// Part 0's left neighbour and the last part's right one are sentinel parts (n + 1, n) whose
// id joins nothing, so a join updates both neighbours' ranks without a branch.
// Leaves the parts in partId/partNext (from part 0, up to n) and returns their number.
size_t MergeShort(const Vocab& v, const uint8_t* p, size_t n, Scratch& sc) {
  uint16_t* id = sc.partId;
  uint16_t* rank = sc.partRank;
  uint8_t* next = sc.partNext;
  uint8_t* prev = sc.partPrev;
  const size_t blocks = (n - 1 + 7) / 8;  // ranks n-1 .. 8*blocks are padding
  // Whole blocks of 8 (p has slack): a loop count that varies less than n mispredicts less.
  for (size_t k = 0; k < n; k += 8) {
    for (size_t q = k; q < k + 8; q++) {
      id[q] = v.byteId[p[q]];
      next[q] = static_cast<uint8_t>(q + 1);
      prev[q] = static_cast<uint8_t>(q - 1);
      rank[q] = v.bytePair[p[q] << 8 | p[q + 1]];
    }
  }
  prev[0] = static_cast<uint8_t>(n + 1);
  id[n] = id[n + 1] = kSentinelId;
  for (size_t k = n - 1; k < 8 * blocks + 2; k++) rank[k] = kNoPair;
  size_t m = n;
  for (;;) {
    uint32_t best;
    size_t at;
#ifdef __SSE4_1__
    auto minpos = [&](size_t b) {
      return static_cast<uint32_t>(
          _mm_cvtsi128_si32(_mm_minpos_epu16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rank + 8 * b)))));
    };
    // (rank << 8 | position): the minimum is the leftmost lowest rank, found without branches.
    uint32_t r = minpos(0);
    uint32_t key = (r & 0xffff) << 8 | ((r >> 16) & 7);
    for (size_t b = 1; b < blocks; b++) {
      r = minpos(b);
      key = std::min(key, (r & 0xffff) << 8 | static_cast<uint32_t>(8 * b + ((r >> 16) & 7)));
    }
    best = key >> 8;
    at = key & 0xff;
#else
    best = kNoPair;
    at = 0;
    for (size_t k = 0; k + 1 < n; k++) {
      if (rank[k] < best) {
        best = rank[k];
        at = k;
      }
    }
#endif
    if (best == kNoPair) break;
    // Join part `at` with the next one, `j`.
    const size_t j = next[at];
    const size_t after = next[j];
    const size_t before = prev[at];
    id[at] = static_cast<uint16_t>(best);
    rank[j] = kNoPair;
    next[at] = static_cast<uint8_t>(after);
    prev[after] = static_cast<uint8_t>(at);
    rank[at] = PairId(v, best, id[after]);
    rank[before] = PairId(v, id[before], best);
    m--;
  }
  return m;
}

// The same merge order with a heap and a linked list: O(n log n) for long pieces. Ranks of a
// part only change when it or its right neighbour grows, and a longer string is a different
// token, so a heap entry is current iff its part is alive and still has that rank.
void MergeHeap(const uint8_t* p, size_t n, std::vector<std::pair<uint32_t, uint32_t>>& parts) {
  std::vector<uint32_t> start(n + 1), next(n + 1), prev(n + 1), rank(n + 1, kNoRank);
  std::vector<uint8_t> alive(n + 1, 1);
  for (size_t i = 0; i <= n; i++) {
    start[i] = static_cast<uint32_t>(i);
    next[i] = static_cast<uint32_t>(i + 1);
    prev[i] = static_cast<uint32_t>(i == 0 ? 0 : i - 1);
  }
  using Entry = std::pair<uint32_t, uint32_t>;  // (rank, part index = start offset)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  for (size_t i = 0; i + 1 < n; i++) {
    rank[i] = Rank(p + i, 2);
    if (rank[i] != kNoRank) heap.emplace(rank[i], static_cast<uint32_t>(i));
  }
  // Rank of merging part i with its right neighbour (the string up to the part after it).
  auto pairRank = [&](uint32_t i) -> uint32_t {
    uint32_t j = next[i];
    if (j >= n) return kNoRank;
    uint32_t k = next[j];
    return Rank(p + i, k - i);
  };
  while (!heap.empty()) {
    auto [r, i] = heap.top();
    heap.pop();
    if (!alive[i] || rank[i] != r) continue;
    uint32_t j = next[i];
    alive[j] = 0;
    next[i] = next[j];
    if (next[j] <= n) prev[next[j]] = i;
    rank[i] = pairRank(i);
    if (rank[i] != kNoRank) heap.emplace(rank[i], i);
    if (i > 0) {
      uint32_t h = prev[i];
      rank[h] = pairRank(h);
      if (rank[h] != kNoRank) heap.emplace(rank[h], h);
    }
  }
  parts.clear();
  for (uint32_t i = 0; i < n; i = next[i]) parts.emplace_back(i, 0);
  parts.emplace_back(static_cast<uint32_t>(n), kNoRank);
}

// The character at s[k] of valid UTF-8 (what every entry point hands the scanner: sanitized
// bytes, V8's UTF-8 of a string, or Utf16ToUtf8's): the generic BPE's decoder, on this file's
// class table.
using Char8 = uclass::Utf8Char;
__attribute__((always_inline)) inline Char8 CharAt(const uint8_t* s, size_t k) { return uclass::Utf8CharAt(g_bmpClass, s, k); }

// The end of the run of ASCII letters at s[k] (stops at n, at a non-letter, at a non-ASCII byte).
inline size_t SkipAsciiLetters(const uint8_t* s, size_t n, size_t k) {
#ifdef __SSE2__
  // 16 bytes at a time: (b | 0x20) - 'a' < 26 (a non-ASCII byte lands far past 26).
  const __m128i lower = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), z = _mm_set1_epi8(25);
  while (k + 16 <= n) {
    const __m128i t = _mm_sub_epi8(_mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + k)), lower), a);
    const uint32_t mask = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, z), t)));
    if (mask != 0xffff) return k + static_cast<size_t>(__builtin_ctz(~mask));
    k += 16;
  }
#endif
  while (k < n && static_cast<uint32_t>((s[k] | 0x20) - 'a') < 26) k++;
  return k;
}

// End (exclusive byte offset) of the pre-token starting at s[i] of valid UTF-8 s[0, n) (GPT-2's
// regex, see top). A piece is the slice s[i, end): nothing is copied.
inline size_t ScanPiece(const uint8_t* s, size_t n, size_t i) {
  const uint32_t c0 = s[i];
  if (c0 == '\'' && i + 1 < n) {
    const uint32_t a = s[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    if (i + 2 < n) {
      const uint32_t c = s[i + 2];
      if ((a == 'r' && c == 'e') || (a == 'v' && c == 'e') || (a == 'l' && c == 'l')) return i + 3;
    }
  }
  Char8 ch;
  size_t j = i;
  if (c0 == ' ' && i + 1 < n) {
    ch = CharAt(s, i + 1);
    if (ch.cls != kSpace) j = i + 1;
    else ch = Char8{' ', 1, kSpace};
  } else {
    ch = CharAt(s, i);
  }
  const uint8_t cls = ch.cls;
  if (cls != kSpace) {  // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
    size_t k = j + ch.len;
    if (cls == kLetter) k = SkipAsciiLetters(s, n, k);
    while (k < n) {
      const uint32_t u = s[k];
      if (u < 0x80) {  // ASCII: no decoding
        if (g_bmpClass[u] != cls) break;
        k++;
        continue;
      }
      const Char8 d = CharAt(s, k);
      if (d.cls != cls) break;
      k += d.len;
      if (cls == kLetter) k = SkipAsciiLetters(s, n, k);  // "Zürich": back to ASCII after a non-ASCII letter
    }
    return k;
  }
  // A whitespace run [i, k): `\s+(?!\S)` leaves the last white space character for the next
  // piece when non-space follows; a single one before non-space falls to `\s+`.
  size_t last = i, k = i + ch.len;
  while (k < n) {
    const uint32_t u = s[k];
    if (u < 0x80) {
      if (g_bmpClass[u] != kSpace) break;
      last = k++;
      continue;
    }
    const Char8 d = CharAt(s, k);
    if (d.cls != kSpace) break;
    last = k;
    k += d.len;
  }
  return (k == n || last == i) ? k : last;
}

// noipa: inlined into its callers, the compiler re-derives t_scratch's address (a
// __tls_get_addr call in a shared object) inside the loop (4% of the time, measured).
// s[0, n) is valid UTF-8 with kSlack readable bytes after it; with kOffsets, offsets gets the
// byte offset of each token.
template <bool kOffsets>
__attribute__((noipa)) void EncodeText(Scratch& sc, const uint8_t* s, size_t n, std::vector<uint32_t>& ids, std::vector<uint32_t>* offsets) {
  const Vocab& v = g_vocab;
  if (sc.generation != g_vocabGeneration) {
    std::fill(sc.cache.begin(), sc.cache.end(), CacheEntry{});
    std::fill(sc.small.begin(), sc.small.end(), SmallEntry{});
    sc.generation = g_vocabGeneration;
  }
  // Tokens gather in a fixed buffer, appended to ids/offsets a chunk at a time.
  uint32_t* const tok = sc.tok;
  uint32_t* const tokAt = sc.tokAt;
  size_t nt = 0;
  auto flush = [&] {
    ids.insert(ids.end(), tok, tok + nt);
    if constexpr (kOffsets) offsets->insert(offsets->end(), tokAt, tokAt + nt);
    nt = 0;
  };
  for (size_t i = 0; i < n;) {
    const size_t end = ScanPiece(s, n, i);
    const uint8_t* const p = s + i;
    const size_t len = end - i;
    const uint32_t at0 = static_cast<uint32_t>(i);
    i = end;
    if (nt + len > kChunk) flush();  // a piece has at most len tokens
    if (len <= 2) {  // a fifth of web text's pieces (punctuation, newlines): straight from tables
      const uint32_t pair = len == 2 ? v.bytePair[p[0] << 8 | p[1]] : kNoPair;
      if (len == 1 || pair == kNoPair) {
        tok[nt] = v.byteId[p[0]];
        if constexpr (kOffsets) tokAt[nt] = at0;
        nt++;
        if (len == 2) {
          tok[nt] = v.byteId[p[1]];
          if constexpr (kOffsets) tokAt[nt] = at0 + 1;
          nt++;
        }
      } else {
        tok[nt] = pair;
        if constexpr (kOffsets) tokAt[nt] = at0;
        nt++;
      }
      continue;
    }
    // A cached piece's tokens, each with its byte offset in the text.
    auto emitWithOffsets = [&](const auto* ids, size_t count) {
      uint32_t at = at0;
      for (size_t k = 0; k < count; k++) {
        const uint32_t id = ids[k];
        tok[nt] = id;
        if constexpr (kOffsets) tokAt[nt] = at;
        at += v.len[id];
        nt++;
      }
    };
    // The parts MergeShort left, in order.
    auto emitParts = [&] {
      for (size_t k = 0; k < len; k = sc.partNext[k]) {
        tok[nt] = sc.partId[k];
        if constexpr (kOffsets) tokAt[nt] = at0 + static_cast<uint32_t>(k);
        nt++;
      }
    };
    // A piece not in a cache: the whole piece if it is a token, else its BPE merge.
    auto encodeMiss = [&](uint64_t h) {
      const uint32_t whole = RankHashed(p, len, h);
      if (whole != kNoRank) {
        tok[nt] = whole;
        if constexpr (kOffsets) tokAt[nt] = at0;
        nt++;
        return;
      }
      MergeShort(v, p, len, sc);
      emitParts();
    };
    if (len <= kSmallBytes) {
      const Words w = ShortWords(p, len);
      const uint64_t h = HashWords(w, len);
      SmallEntry& slot = sc.small[(h >> 20) & (kSmallSlots - 1)];
      if (slot.len == len && slot.w == w.w0) {
        if constexpr (kOffsets) {
          emitWithOffsets(slot.ids, slot.count);
        } else {
          for (size_t k = 0; k < kSmallTokens; k++) tok[nt + k] = slot.ids[k];  // tok has room past nt
          nt += slot.count;
        }
        continue;
      }
      const size_t first = nt;
      encodeMiss(h);
      const size_t count = nt - first;
      slot.w = w.w0;
      slot.len = count <= kSmallTokens ? static_cast<uint8_t>(len) : 0;
      slot.count = static_cast<uint8_t>(count);
      for (size_t k = 0; k < kSmallTokens; k++) slot.ids[k] = static_cast<uint16_t>(tok[first + k]);
      continue;
    }
    if (len <= kShort) {
      const Words w = ShortWords(p, len);
      const uint64_t h = HashWords(w, len);
      CacheEntry& slot = sc.cache[(h >> 20) & (kCacheSlots - 1)];
      if (slot.len == len && slot.w[0] == w.w0 && slot.w[1] == w.w1 && slot.w[2] == w.w2) {
        if constexpr (kOffsets) {
          emitWithOffsets(slot.ids, slot.count);
        } else {
          // Most pieces are 1-4 tokens: copy 4 unconditionally (tok has room past nt).
          for (size_t k = 0; k < 4; k++) tok[nt + k] = slot.ids[k];
          for (size_t k = 4; k < slot.count; k++) tok[nt + k] = slot.ids[k];
          nt += slot.count;
        }
        continue;
      }
      const size_t first = nt;
      encodeMiss(h);
      const size_t count = nt - first;
      slot.w[0] = w.w0;
      slot.w[1] = w.w1;
      slot.w[2] = w.w2;
      if (count <= kCacheTokens) {
        slot.len = static_cast<uint8_t>(len);
        slot.count = static_cast<uint8_t>(count);
        // All kCacheTokens (tok has room past nt): a fixed count vectorizes and never mispredicts.
        for (size_t k = 0; k < kCacheTokens; k++) slot.ids[k] = static_cast<uint16_t>(tok[first + k]);
      } else {
        slot.len = 0;
      }
      continue;
    }
    const uint32_t whole = Rank(p, len);
    if (whole != kNoRank) {
      tok[nt] = whole;
      if constexpr (kOffsets) tokAt[nt] = at0;
      nt++;
    } else if (len < kHeapFrom) {
      MergeShort(v, p, len, sc);
      emitParts();
    } else {  // long pieces (rare) go straight to the output
      flush();
      MergeHeap(p, len, sc.parts);
      for (size_t k = 0; k + 1 < sc.parts.size(); k++) {
        uint32_t a = sc.parts[k].first, b = sc.parts[k + 1].first;
        ids.push_back(Rank(p + a, b - a));
        if constexpr (kOffsets) offsets->push_back(at0 + a);
      }
    }
  }
  flush();
}

// UTF-16 to UTF-8 into out (room for 3 * n bytes); a lone surrogate becomes U+FFFD, what
// TextEncoder (and so tiktoken's binding) makes of it. Returns the bytes written.
size_t Utf16ToUtf8(const char16_t* s, size_t n, uint8_t* out) {
  size_t b = 0;
  for (size_t k = 0; k < n;) {
    // ASCII, 4 units at a time.
    while (k + 4 <= n) {
      uint64_t w;
      std::memcpy(&w, s + k, 8);
      if (w & 0xff80ff80ff80ff80ull) break;
      out[b] = static_cast<uint8_t>(s[k]), out[b + 1] = static_cast<uint8_t>(s[k + 1]);
      out[b + 2] = static_cast<uint8_t>(s[k + 2]), out[b + 3] = static_cast<uint8_t>(s[k + 3]);
      b += 4, k += 4;
    }
    if (k >= n) break;
    const uint32_t c = s[k];
    if (c < 0x80) {
      out[b++] = static_cast<uint8_t>(c);
      k++;
      continue;
    }
    const uclass::Char ch = uclass::CharAt(g_bmpClass, s, n, k);
    b += PutUtf8(out + b, ch.cp);
    k += ch.units;
  }
  return b;
}

// Byte offsets (non-decreasing) into valid UTF-8 s to the UTF-16 offset of the character holding
// each byte, in place: one walk over the text (a 4-byte character is two UTF-16 units).
void ByteToUtf16Offsets(const uint8_t* s, uint32_t* offs, size_t count) {
  size_t b = 0, u = 0;
  for (size_t t = 0; t < count; t++) {
    const size_t want = offs[t];
    for (;;) {
      const uint32_t c = s[b];
      const size_t w = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
      if (b + w > want) break;
      b += w;
      u += w == 4 ? 2 : 1;
    }
    offs[t] = static_cast<uint32_t>(u);
  }
}

// One document of valid UTF-8 with kSlack readable bytes after it. With offsets: the UTF-16
// offset of the character holding each token's first byte.
void EncodeUtf8(Scratch& sc, const uint8_t* s, size_t n, std::vector<uint32_t>& ids, std::vector<uint32_t>* offsets) {
  if (!offsets) return EncodeText<false>(sc, s, n, ids, nullptr);
  const size_t first = offsets->size();
  EncodeText<true>(sc, s, n, ids, offsets);
  ByteToUtf16Offsets(s, offsets->data() + first, offsets->size() - first);
}

}  // namespace

bool Loaded() { return g_vocab.loaded; }

void Encode(const char16_t* text, size_t n, std::vector<uint32_t>& ids, std::vector<uint32_t>* offsets) {
  // One thread_local lookup per call: reaching it inside the loop costs a __tls_get_addr call
  // per use in a shared object.
  Scratch& sc = t_scratch;
  uint8_t* const s = sc.doc.Reserve(3 * n + kSlack);
  EncodeUtf8(sc, s, Utf16ToUtf8(text, n, s), ids, offsets);
}

namespace {


Napi::Uint32Array ToArray(Napi::Env env, const std::vector<uint32_t>& v) {
  Napi::Uint32Array a = Napi::Uint32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * 4);
  return a;
}

bool CheckLoaded(Napi::Env env) {
  if (g_vocab.loaded) return true;
  Napi::Error::New(env, "gpt2: ranks not loaded (call gpt2Load first)").ThrowAsJavaScriptException();
  return false;
}

// Builds g_vocab from token bytes and offsets (token i = bytes[offs[i], offs[i+1])); the
// caller holds the load lock. Split from Load so a plain C++ driver can profile the encoder.
bool BuildVocab(const uint8_t* bytes, size_t nbytes, const uint32_t* offs, size_t noffs, std::string& err) {
  InitClasses();
  const size_t count = noffs - 1;
  if (count >= kMaxTokens) {
    err = "gpt2Load: " + std::to_string(count) + " tokens, at most " + std::to_string(kMaxTokens) + " supported";
    return false;
  }
  Vocab v;
  v.bytes.assign(bytes, bytes + nbytes);
  v.bytes.resize(nbytes + kSlack, 0);
  v.off.assign(offs, offs + noffs);
  v.len.resize(count);
  for (size_t id = 0; id < count; id++) {
    if (v.off[id + 1] < v.off[id] || v.off[id + 1] - v.off[id] > 255 || v.off[id + 1] == v.off[id]) {
      err = "gpt2Load: token " + std::to_string(id) + " is empty or longer than 255 bytes";
      return false;
    }
    v.len[id] = static_cast<uint8_t>(v.off[id + 1] - v.off[id]);
  }
  size_t cap = 1;
  while (cap < count * 2 + 2) cap <<= 1;
  v.table.assign(cap, Slot{0, 0, 0});
  v.mask = cap - 1;
  g_vocab = std::move(v);  // Rank() reads g_vocab
  Vocab& g = g_vocab;
  for (uint32_t id = 0; id < count; id++) {
    const uint8_t* p = g.bytes.data() + g.off[id];
    uint64_t h = HashBytes(p, g.len[id]);
    uint64_t i = h & g.mask;
    while (g.table[i].id1 != 0) i = (i + 1) & g.mask;
    g.table[i] = Slot{static_cast<uint16_t>(id + 1), g.len[id], static_cast<uint8_t>(h >> 32)};
  }
  // Every single byte must be a token, or a piece could fail to encode.
  for (int b = 0; b < 256; b++) {
    uint8_t c[1 + kSlack] = {static_cast<uint8_t>(b)};
    uint32_t id = Rank(c, 1);
    if (id == kNoRank) {
      g.loaded = false;
      err = "gpt2Load: byte " + std::to_string(b) + " has no token";
      return false;
    }
    g.byteId[b] = static_cast<uint16_t>(id);
  }
  g.bytePair.assign(0x10000, kNoPair);
  for (int b = 0; b < 0x10000; b++) {
    uint8_t c[2 + kSlack] = {static_cast<uint8_t>(b >> 8), static_cast<uint8_t>(b & 0xff)};
    uint32_t id = Rank(c, 2);
    if (id != kNoRank) g.bytePair[b] = static_cast<uint16_t>(id);
  }
  // Every way to cut a token into two tokens: the joins the merge loop can make.
  std::vector<Join> joins;
  for (uint32_t id = 0; id < count; id++) {
    const uint8_t* p = g.bytes.data() + g.off[id];
    for (size_t k = 1; k < g.len[id]; k++) {
      uint32_t a = Rank(p, k), b = Rank(p + k, g.len[id] - k);
      if (a != kNoRank && b != kNoRank) joins.push_back(Join{(a << 16 | b) * kPairMul, id});
    }
  }
  std::sort(joins.begin(), joins.end(), [](const Join& x, const Join& y) { return x.h < y.h; });
  std::vector<uint32_t> start(0x10002, 0);
  for (const Join& j : joins) start[(j.h >> 16) + 1]++;
  for (size_t k = 0; k <= 0x10000; k++) start[k + 1] += start[k];
  // The widest groups whose buckets' starts fit a byte past the group's (5 bits: ~53 entries a group).
  uint32_t bits = 5;
  auto fits = [&](uint32_t b) {
    for (size_t k = 0; k <= 0x10000; k++)
      if (start[k] - start[k >> b << b] > 255) return false;
    return true;
  };
  while (bits > 0 && !fits(bits)) bits--;
  g.pairGroupBits = bits;
  g.pairBase.assign((0x10000 >> bits) + 2, 0);
  g.pairOff.assign(0x10001, 0);
  for (size_t k = 0; k <= 0x10000; k++) {
    g.pairBase[k >> bits] = start[k >> bits << bits];
    g.pairOff[k] = static_cast<uint8_t>(start[k] - start[k >> bits << bits]);
  }
  g.pairEnt.resize(joins.size() + 4, 0);
  for (size_t k = 0; k < joins.size(); k++) g.pairEnt[k] = (joins[k].h & 0xffff) << 16 | joins[k].id;
  g.loaded = true;
  g_vocabGeneration++;
  return true;
}

// gpt2Load(bytes: Uint8Array, offsets: Uint32Array): token i = bytes[offsets[i], offsets[i+1]).
Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray()) {
    Napi::TypeError::New(env, "gpt2Load(bytes: Uint8Array, offsets: Uint32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto bytes = info[0].As<Napi::Uint8Array>();
  auto offs = info[1].As<Napi::Uint32Array>();
  if (offs.ElementLength() < 2 || offs[offs.ElementLength() - 1] != bytes.ElementLength()) {
    Napi::RangeError::New(env, "gpt2Load: offsets do not cover the bytes").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // One vocabulary per process, shared by every worker thread (the addon is loaded once per
  // process): load it once, under a lock, and never replace it while other threads read it.
  static std::mutex load_mutex;
  std::lock_guard<std::mutex> lock(load_mutex);
  if (g_vocab.loaded) return Napi::Number::New(env, static_cast<double>(g_vocab.off.size() - 1));
  std::string err;
  if (!BuildVocab(bytes.Data(), bytes.ElementLength(), offs.Data(), offs.ElementLength(), err)) {
    Napi::RangeError::New(env, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t count = g_vocab.off.size() - 1;
  return Napi::Number::New(env, static_cast<double>(count));
}

// One JS argument (a string, or UTF-8 bytes) as UTF-8 in the thread's scratch, + kSlack.
Scratch* ReadText(Napi::Env env, napi_value v) {
  Scratch& sc = t_scratch;
  return docs::ReadDocUtf8(env, v, sc.doc, kSlack) ? &sc : nullptr;
}

Napi::Value EncodeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckLoaded(env)) return env.Undefined();
  Scratch* sc = info.Length() < 1 ? nullptr : ReadText(env, info[0]);
  if (!sc) {
    Napi::TypeError::New(env, "gpt2Encode(text: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint32_t> ids;
  ids.reserve(sc->doc.size / 4 + 8);
  EncodeUtf8(*sc, sc->doc.buf.get(), sc->doc.size, ids, nullptr);
  return ToArray(env, ids);
}

Napi::Value EncodeOffsetsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckLoaded(env)) return env.Undefined();
  Scratch* sc = info.Length() < 1 ? nullptr : ReadText(env, info[0]);
  if (!sc) {
    Napi::TypeError::New(env, "gpt2EncodeWithOffsets(text: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint32_t> ids, offsets;
  EncodeUtf8(*sc, sc->doc.buf.get(), sc->doc.size, ids, &offsets);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, ToArray(env, ids));
  out.Set(1u, ToArray(env, offsets));
  return out;
}

// gpt2Count(texts: string[]): Uint32Array of token counts.
Napi::Value CountJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckLoaded(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsArray()) {
    Napi::TypeError::New(env, "gpt2Count(texts: string[])").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto arr = info[0].As<Napi::Array>();
  uint32_t n = arr.Length();
  Napi::Uint32Array out = Napi::Uint32Array::New(env, n);
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < n; i++) {
    Scratch* sc = ReadText(env, arr.Get(i));
    if (!sc) {
      Napi::TypeError::New(env, "gpt2Count: element " + std::to_string(i) + " is not a string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    ids.clear();
    EncodeUtf8(*sc, sc->doc.buf.get(), sc->doc.size, ids, nullptr);
    out[i] = static_cast<uint32_t>(ids.size());
  }
  return out;
}

// gpt2EncodeDocs(texts: (string | Uint8Array of UTF-8)[], endToken, width) -> { tokens, lengths, units }
Napi::Value EncodeDocsJs(const Napi::CallbackInfo& info) {
  if (!CheckLoaded(info.Env())) return info.Env().Undefined();
  Scratch& sc = t_scratch;
  return docs::EncodeDocsUtf8(info, 0, "gpt2EncodeDocs", kSlack, [&sc](const uint8_t* s, size_t n, std::vector<uint32_t>& ids) { EncodeUtf8(sc, s, n, ids, nullptr); });
}

// gpt2EncodeDocsWithOffsets(texts: (string | Uint8Array of UTF-8)[]) -> { tokens: Uint32Array,
// lengths: Int32Array, offsets: Uint32Array, units }: every document's ids (no end token), and
// per token the UTF-16 offset of its start within its document (gpt2EncodeWithOffsets'
// values; for bytes, offsets into the string TextDecoder makes of them).
Napi::Value EncodeDocsOffsetsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckLoaded(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsArray()) {
    Napi::TypeError::New(env, "gpt2EncodeDocsWithOffsets(texts: (string | Uint8Array)[])").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto texts = info[0].As<Napi::Array>();
  Napi::Int32Array lengths = Napi::Int32Array::New(env, texts.Length());
  Scratch& sc = t_scratch;
  std::vector<uint32_t> ids, offsets;
  double units = 0;
  const bool read = docs::ForEachDocUtf8(env, texts, "gpt2EncodeDocsWithOffsets", sc.doc, kSlack, [&](uint32_t d) {
    const size_t before = ids.size();
    units += static_cast<double>(sc.doc.units);
    EncodeUtf8(sc, sc.doc.buf.get(), sc.doc.size, ids, &offsets);
    lengths[d] = static_cast<int32_t>(ids.size() - before);
  });
  if (!read) return env.Undefined();
  Napi::Object out = Napi::Object::New(env);
  out.Set("tokens", ToArray(env, ids));
  out.Set("lengths", lengths);
  out.Set("offsets", ToArray(env, offsets));
  out.Set("units", Napi::Number::New(env, units));
  return out;
}

}  // namespace
}  // namespace refinery::gpt2

namespace refinery {
void InitGpt2(Napi::Env env, Napi::Object exports) {
  exports.Set("gpt2Load", Napi::Function::New(env, gpt2::Load));
  exports.Set("gpt2Encode", Napi::Function::New(env, gpt2::EncodeJs));
  exports.Set("gpt2EncodeWithOffsets", Napi::Function::New(env, gpt2::EncodeOffsetsJs));
  exports.Set("gpt2Count", Napi::Function::New(env, gpt2::CountJs));
  exports.Set("gpt2EncodeDocs", Napi::Function::New(env, gpt2::EncodeDocsJs));
  exports.Set("gpt2EncodeDocsWithOffsets", Napi::Function::New(env, gpt2::EncodeDocsOffsetsJs));
}
}  // namespace refinery
