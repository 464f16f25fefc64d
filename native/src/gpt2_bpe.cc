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
#include <mutex>
#include "gpt2_bpe.h"

#include <algorithm>
#include <cstring>
#include <queue>

#include "kernels.h"
#include "unicode_tables.h"

namespace refinery::gpt2 {
namespace {

constexpr uint32_t kNoRank = 0xffffffffu;
constexpr size_t kHeapFrom = 96;

enum Cls : uint8_t { kOther = 0, kLetter = 1, kNumber = 2, kSpace = 3 };

struct Slot {
  uint32_t id1;  // token id + 1; 0 = empty
  uint32_t tag;  // high half of the hash
};

struct Vocab {
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> off;  // token i = bytes[off[i], off[i+1])
  std::vector<Slot> table;
  uint64_t mask = 0;
  bool loaded = false;
};

Vocab g_vocab;
uint64_t g_vocabGeneration = 0;  // bumped by every gpt2Load: per-thread caches reset on change
uint8_t g_bmpClass[0x10000];
bool g_classesReady = false;

inline uint64_t HashBytes(const uint8_t* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ w) * 0x94d049bb133111ebull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

// Short byte strings: an inline loop beats a call to libc's memcmp (8% of the time, measured).
inline bool SameBytes(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return false;
  return true;
}

inline uint32_t RankHashed(const uint8_t* p, size_t n, uint64_t h) {
  const Vocab& v = g_vocab;
  uint32_t tag = static_cast<uint32_t>(h >> 32);
  for (uint64_t i = h & v.mask;; i = (i + 1) & v.mask) {
    const Slot& s = v.table[i];
    if (s.id1 == 0) return kNoRank;
    if (s.tag == tag) {
      uint32_t id = s.id1 - 1;
      uint32_t a = v.off[id], b = v.off[id + 1];
      if (b - a == n && SameBytes(v.bytes.data() + a, p, n)) return id;
    }
  }
}

inline uint32_t Rank(const uint8_t* p, size_t n) { return RankHashed(p, n, HashBytes(p, n)); }

// A direct-mapped cache of short pieces and their tokens: words repeat, and a piece that
// needs merging costs dozens of lookups. Exact: the piece bytes are compared.
constexpr size_t kCacheBytes = 24, kCacheTokens = 7, kCacheSlots = 4096;
struct CacheEntry {
  uint64_t hash;
  uint8_t len;  // 0 = empty
  uint8_t count;
  uint8_t bytes[kCacheBytes];
  uint32_t ids[kCacheTokens];
};

bool InRanges(const unicode::Range* r, size_t count, uint32_t cp) {
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r[mid].hi < cp) lo = mid + 1;
    else hi = mid;
  }
  return lo < count && r[lo].lo <= cp;
}

// Rust regex's \s: the Unicode White_Space property.
bool IsWhiteSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
         c == 0x3000;
}

uint8_t SlowClass(uint32_t cp) {
  if (IsWhiteSpace(cp)) return kSpace;
  constexpr size_t nl = sizeof(unicode::kLetters) / sizeof(unicode::kLetters[0]);
  constexpr size_t nn = sizeof(unicode::kNumbers) / sizeof(unicode::kNumbers[0]);
  if (InRanges(unicode::kLetters, nl, cp)) return kLetter;
  if (InRanges(unicode::kNumbers, nn, cp)) return kNumber;
  return kOther;
}

void InitClasses() {
  if (g_classesReady) return;
  for (uint32_t c = 0; c < 0x10000; c++) g_bmpClass[c] = SlowClass(c);
  g_classesReady = true;
}

inline uint8_t ClassOf(uint32_t cp) { return cp < 0x10000 ? g_bmpClass[cp] : SlowClass(cp); }

struct Scratch {
  std::vector<uint32_t> cps;   // code points
  std::vector<uint32_t> pos;   // UTF-16 offset of each code point (+ one past the end)
  std::vector<uint8_t> cls;
  std::vector<uint8_t> utf8;   // the current piece
  std::vector<uint32_t> byteCp;  // code point index of each byte of the piece
  std::vector<std::pair<uint32_t, uint32_t>> parts;
  std::vector<CacheEntry> cache = std::vector<CacheEntry>(kCacheSlots, CacheEntry{0, 0, 0, {}, {}});
  uint64_t generation = 0;
};

thread_local Scratch t_scratch;

void Decode(const char16_t* s, size_t n, Scratch& sc) {
  sc.cps.clear();
  sc.pos.clear();
  sc.cls.clear();
  for (size_t i = 0; i < n;) {
    uint32_t c = s[i];
    size_t at = i++;
    if (c >= 0xd800 && c <= 0xdbff && i < n && s[i] >= 0xdc00 && s[i] <= 0xdfff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s[i] - 0xdc00);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;  // a lone surrogate: what TextEncoder (and so tiktoken's binding) makes of it
    }
    sc.cps.push_back(c);
    sc.pos.push_back(static_cast<uint32_t>(at));
    sc.cls.push_back(ClassOf(c));
  }
  sc.pos.push_back(static_cast<uint32_t>(n));
}

inline void PutUtf8(std::vector<uint8_t>& out, uint32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<uint8_t>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<uint8_t>(0xc0 | (c >> 6)));
    out.push_back(static_cast<uint8_t>(0x80 | (c & 0x3f)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<uint8_t>(0xe0 | (c >> 12)));
    out.push_back(static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3f)));
    out.push_back(static_cast<uint8_t>(0x80 | (c & 0x3f)));
  } else {
    out.push_back(static_cast<uint8_t>(0xf0 | (c >> 18)));
    out.push_back(static_cast<uint8_t>(0x80 | ((c >> 12) & 0x3f)));
    out.push_back(static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3f)));
    out.push_back(static_cast<uint8_t>(0x80 | (c & 0x3f)));
  }
}

// End (exclusive) of the pre-token starting at code point i (GPT-2's regex, see top).
size_t PieceEnd(const Scratch& sc, size_t i) {
  const size_t n = sc.cps.size();
  const uint32_t* cp = sc.cps.data();
  const uint8_t* cl = sc.cls.data();
  if (cp[i] == '\'' && i + 1 < n) {
    uint32_t a = cp[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    if (i + 2 < n) {
      uint32_t b = cp[i + 2];
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    }
  }
  size_t j = i;
  if (cp[i] == ' ' && i + 1 < n && cl[i + 1] != kSpace) j = i + 1;
  uint8_t c = cl[j];
  if (c != kSpace) {  // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
    size_t k = j + 1;
    while (k < n && cl[k] == c) k++;
    return k;
  }
  // A whitespace run [i, k): `\s+(?!\S)` leaves the last space for the next token when
  // non-space follows; a single space before non-space falls to `\s+`.
  size_t k = i + 1;
  while (k < n && cl[k] == kSpace) k++;
  if (k == n || k - i == 1) return k;
  return k - 1;
}

// tiktoken's byte_pair_merge for short pieces; fills `parts` with the token start offsets.
void MergeLinear(const uint8_t* p, size_t n, std::vector<std::pair<uint32_t, uint32_t>>& parts) {
  parts.clear();
  uint32_t minRank = kNoRank;
  size_t minAt = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    uint32_t r = Rank(p + i, 2);
    if (r < minRank) {
      minRank = r;
      minAt = i;
    }
    parts.emplace_back(static_cast<uint32_t>(i), r);
  }
  parts.emplace_back(static_cast<uint32_t>(n - 1), kNoRank);
  parts.emplace_back(static_cast<uint32_t>(n), kNoRank);
  auto rankAt = [&](size_t i) -> uint32_t {
    if (i + 3 < parts.size()) return Rank(p + parts[i].first, parts[i + 3].first - parts[i].first);
    return kNoRank;
  };
  while (minRank != kNoRank) {
    size_t i = minAt;
    if (i > 0) parts[i - 1].second = rankAt(i - 1);
    parts[i].second = rankAt(i);
    parts.erase(parts.begin() + static_cast<long>(i) + 1);
    minRank = kNoRank;
    for (size_t k = 0; k + 1 < parts.size(); k++) {
      if (parts[k].second < minRank) {
        minRank = parts[k].second;
        minAt = k;
      }
    }
  }
  parts.pop_back();  // the end sentinel is kept as parts.back() by the caller: re-add below
  parts.emplace_back(static_cast<uint32_t>(n), kNoRank);
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

}  // namespace

bool Loaded() { return g_vocab.loaded; }

namespace {
// The work of Encode on an explicit scratch: reaching a thread_local from inside the loop
// costs a __tls_get_addr call per use in a shared object (8% of the time, measured).
__attribute__((noipa)) void EncodeWith(Scratch& sc, const char16_t* text, size_t n, std::vector<uint32_t>& ids,
                                          std::vector<uint32_t>* offsets) {
  if (sc.generation != g_vocabGeneration) {
    std::fill(sc.cache.begin(), sc.cache.end(), CacheEntry{0, 0, 0, {}, {}});
    sc.generation = g_vocabGeneration;
  }
  Decode(text, n, sc);
  const size_t m = sc.cps.size();
  for (size_t i = 0; i < m;) {
    size_t end = PieceEnd(sc, i);
    sc.utf8.clear();
    sc.byteCp.clear();
    for (size_t k = i; k < end; k++) {
      size_t before = sc.utf8.size();
      PutUtf8(sc.utf8, sc.cps[k]);
      if (offsets) sc.byteCp.insert(sc.byteCp.end(), sc.utf8.size() - before, static_cast<uint32_t>(k));
    }
    const uint8_t* p = sc.utf8.data();
    const size_t len = sc.utf8.size();
    const uint64_t h = HashBytes(p, len);
    CacheEntry* slot = nullptr;
    if (len <= kCacheBytes) {
      slot = &sc.cache[h & (kCacheSlots - 1)];
      if (slot->hash == h && slot->len == len && SameBytes(slot->bytes, p, len)) {
        size_t at = 0;  // byte offset of each token in the piece, for offsets
        for (size_t k = 0; k < slot->count; k++) {
          uint32_t id = slot->ids[k];
          ids.push_back(id);
          if (offsets) {
            offsets->push_back(sc.pos[sc.byteCp[at]]);
            at += g_vocab.off[id + 1] - g_vocab.off[id];
          }
        }
        i = end;
        continue;
      }
    }
    const size_t first = ids.size();
    uint32_t whole = RankHashed(p, len, h);
    if (whole != kNoRank) {
      ids.push_back(whole);
      if (offsets) offsets->push_back(sc.pos[i]);
    } else {
      if (len < kHeapFrom) MergeLinear(p, len, sc.parts);
      else MergeHeap(p, len, sc.parts);
      for (size_t k = 0; k + 1 < sc.parts.size(); k++) {
        uint32_t a = sc.parts[k].first, b = sc.parts[k + 1].first;
        ids.push_back(Rank(p + a, b - a));
        if (offsets) offsets->push_back(sc.pos[sc.byteCp[a]]);
      }
    }
    if (slot && ids.size() - first <= kCacheTokens) {
      slot->hash = h;
      slot->len = static_cast<uint8_t>(len);
      slot->count = static_cast<uint8_t>(ids.size() - first);
      std::memcpy(slot->bytes, p, len);
      std::memcpy(slot->ids, ids.data() + first, slot->count * 4);
    }
    i = end;
  }
}
}  // namespace

void Encode(const char16_t* text, size_t n, std::vector<uint32_t>& ids, std::vector<uint32_t>* offsets) {
  EncodeWith(t_scratch, text, n, ids, offsets);
}

namespace {

bool ReadString(Napi::Env env, napi_value v, std::u16string& buf) {
  size_t len = 0;
  if (napi_get_value_string_utf16(env, v, nullptr, 0, &len) != napi_ok) return false;
  buf.resize(len + 1);
  napi_get_value_string_utf16(env, v, buf.data(), len + 1, &len);
  buf.resize(len);
  return true;
}

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
  InitClasses();
  Vocab v;
  v.bytes.assign(bytes.Data(), bytes.Data() + bytes.ElementLength());
  v.off.assign(offs.Data(), offs.Data() + offs.ElementLength());
  size_t count = v.off.size() - 1;
  size_t cap = 1;
  while (cap < count * 2 + 2) cap <<= 1;
  v.table.assign(cap, Slot{0, 0});
  v.mask = cap - 1;
  g_vocab = std::move(v);  // Rank() reads g_vocab
  Vocab& g = g_vocab;
  for (uint32_t id = 0; id < count; id++) {
    const uint8_t* p = g.bytes.data() + g.off[id];
    size_t n = g.off[id + 1] - g.off[id];
    uint64_t h = HashBytes(p, n);
    uint64_t i = h & g.mask;
    while (g.table[i].id1 != 0) i = (i + 1) & g.mask;
    g.table[i] = Slot{id + 1, static_cast<uint32_t>(h >> 32)};
  }
  // Every single byte must be a token, or a piece could fail to encode.
  for (int b = 0; b < 256; b++) {
    uint8_t c = static_cast<uint8_t>(b);
    if (Rank(&c, 1) == kNoRank) {
      g.loaded = false;
      Napi::RangeError::New(env, "gpt2Load: byte " + std::to_string(b) + " has no token").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  g.loaded = true;
  g_vocabGeneration++;
  return Napi::Number::New(env, static_cast<double>(count));
}

Napi::Value EncodeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckLoaded(env)) return env.Undefined();
  thread_local std::u16string buf;
  if (info.Length() < 1 || !ReadString(env, info[0], buf)) {
    Napi::TypeError::New(env, "gpt2Encode(text: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint32_t> ids;
  ids.reserve(buf.size() / 3 + 8);
  Encode(buf.data(), buf.size(), ids, nullptr);
  return ToArray(env, ids);
}

Napi::Value EncodeOffsetsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckLoaded(env)) return env.Undefined();
  thread_local std::u16string buf;
  if (info.Length() < 1 || !ReadString(env, info[0], buf)) {
    Napi::TypeError::New(env, "gpt2EncodeWithOffsets(text: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint32_t> ids, offsets;
  Encode(buf.data(), buf.size(), ids, &offsets);
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
  thread_local std::u16string buf;
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < n; i++) {
    if (!ReadString(env, arr.Get(i), buf)) {
      Napi::TypeError::New(env, "gpt2Count: element " + std::to_string(i) + " is not a string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    ids.clear();
    Encode(buf.data(), buf.size(), ids, nullptr);
    out[i] = static_cast<uint32_t>(ids.size());
  }
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
}
}  // namespace refinery
