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
// JS API (src/tokenizer/hf-bpe.ts):
//   bpeLoad(bytes: Uint8Array, offsets: Uint32Array, inVocab: Uint8Array,
//           mergeLeft: Uint32Array, mergeRight: Uint32Array, mergeId: Uint32Array,
//           maxDigits: number (0 = pieces come from the caller), ignoreMerges: boolean) -> model
//   bpeEncode(model, text) -> Uint32Array
//   bpeEncodePieces(model, text, ends: Uint32Array) -> Uint32Array   (piece k = [ends[k-1], ends[k]))
//   bpeEncodeDocs(model, texts: (string | Uint8Array of UTF-8)[], endToken: number (-1: none), width: 2 | 4)
//       -> { tokens: Uint16Array | Uint32Array, lengths: Int32Array }   (each doc + endToken)
// A model is used by the JS thread that loaded it (it holds that thread's caches).
#include <algorithm>
#include <cstring>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "doc_batch.h"
#include "kernels.h"
#include "unicode_class.h"

namespace refinery::bpe {
namespace {

using uclass::Char;
using uclass::CharAt;
using uclass::kLetter;
using uclass::kNumber;
using uclass::kOther;
using uclass::kSpace;

constexpr uint32_t kNone = 0xffffffffu;
constexpr uint64_t kEmptyKey = ~uint64_t{0};
constexpr size_t kScanMax = 128;  // pieces up to this many bytes merge by scanning, longer by a heap
constexpr size_t kCacheBytes = 24, kCacheTokens = 10, kCacheSlots = 65536;
constexpr uint32_t kPairCacheBits = 13;

inline uint64_t Mix(uint64_t h) {
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  return h;
}

inline uint64_t HashBytes(const uint8_t* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = Mix((h ^ w) * 0x94d049bb133111ebull);
  }
  uint64_t w = 0;
  std::memcpy(&w, p + i, n - i);
  return Mix((h ^ w) * 0x94d049bb133111ebull);
}

// A merge (left, right) -> rank packed in 8 bytes, left << 42 | right << 21 | rank (kEmptyKey =
// free): the table is read at every step of every merge, and at 16 bytes a slot it was 16 MB
// for Llama-3's 280k merges, a cache miss per lookup (perf: half the kernel's time). The joined
// token is mergeId[rank], read only when a merge is made.
constexpr uint32_t kFieldBits = 21;
constexpr uint64_t kFieldMask = (uint64_t{1} << kFieldBits) - 1;
inline uint64_t MergeKey(uint32_t a, uint32_t b) { return (uint64_t{a} << kFieldBits | b) << kFieldBits; }

struct VocabSlot {
  uint32_t id;  // kNone = free
  uint32_t tag;
};

struct CacheEntry {
  uint8_t bytes[kCacheBytes];
  uint8_t len;  // 0 = empty
  uint8_t count;
  uint32_t ids[kCacheTokens];
};

struct Model {
  std::vector<uint8_t> bytes;  // token i = bytes[off[i], off[i+1])
  std::vector<uint32_t> off;
  std::vector<VocabSlot> vocab;  // bytes -> id, for tokens of the BPE vocabulary
  uint64_t vocabMask = 0;
  std::vector<uint64_t> merges;
  uint64_t mergeMask = 0;
  std::vector<uint32_t> mergeId;  // by rank: the joined token
  std::vector<uint32_t> pairRank;  // 65,536: the merge rank of two single-byte parts, or kNone
  std::vector<uint64_t> pairCache = std::vector<uint64_t>(size_t{1} << kPairCacheBits, kEmptyKey);
  uint32_t byteId[256];
  uint32_t maxDigits = 3;
  bool ignoreMerges = false;
  // Scratch of the thread that uses the model.
  std::vector<uint8_t> utf8;
  std::vector<CacheEntry> cache = std::vector<CacheEntry>(kCacheSlots, CacheEntry{});
  uint32_t id[kScanMax + 1], rank[kScanMax + 1], next[kScanMax + 1], prev[kScanMax + 1];
};

uint32_t FindToken(const Model& m, const uint8_t* p, size_t n) {
  const uint64_t h = HashBytes(p, n);
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  for (uint64_t i = h & m.vocabMask;; i = (i + 1) & m.vocabMask) {
    const VocabSlot& s = m.vocab[i];
    if (s.id == kNone) return kNone;
    if (s.tag == tag && m.off[s.id + 1] - m.off[s.id] == n && std::memcmp(m.bytes.data() + m.off[s.id], p, n) == 0) return s.id;
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

// The rank of the merge of parts (a, b); kNone when there is none. Looked up first in a small
// direct-mapped cache of recent pairs (same packing; rank kFieldMask = no merge): a few
// thousand pairs make most merge steps of text, and the cache stays in L2 where the table
// (MBs) is a miss per lookup.
inline uint32_t FindMerge(Model& m, uint32_t a, uint32_t b) {
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

// Merge a piece of 2..kScanMax bytes: parts in a linked list, the lowest rank found by a scan.
void MergeScan(Model& m, const uint8_t* p, size_t n, std::vector<uint32_t>& out) {
  uint32_t* id = m.id;
  uint32_t* rank = m.rank;
  uint32_t* next = m.next;
  uint32_t* prev = m.prev;
  for (size_t k = 0; k < n; k++) {
    id[k] = m.byteId[p[k]];
    next[k] = static_cast<uint32_t>(k + 1);
    prev[k] = static_cast<uint32_t>(k) - 1;
  }
  // The first ranks are of byte pairs: one table (the merge table would be a miss each).
  for (size_t k = 0; k + 1 < n; k++) rank[k] = m.pairRank[p[k] << 8 | p[k + 1]];
  rank[n - 1] = kNone;
  for (;;) {
    uint32_t best = kNone, at = 0;
    for (uint32_t k = 0; k < n; k = next[k]) {
      if (rank[k] < best) {
        best = rank[k];
        at = k;
      }
    }
    if (best == kNone) break;
    const uint32_t j = next[at];
    id[at] = m.mergeId[best];
    next[at] = next[j];
    if (next[j] < n) prev[next[j]] = at;
    rank[at] = next[at] < n ? FindMerge(m, id[at], id[next[at]]) : kNone;
    if (at > 0) {
      const uint32_t h = prev[at];
      rank[h] = FindMerge(m, id[h], id[at]);
    }
  }
  for (uint32_t k = 0; k < n; k = next[k]) out.push_back(id[k]);
}

// The same order for long pieces with a heap of (rank, position): an entry is current iff its
// part is alive and still has that rank (a rank names one pair of tokens).
void MergeHeap(Model& m, const uint8_t* p, size_t n, std::vector<uint32_t>& out) {
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
  for (uint32_t k = 0; k < n; k = next[k]) out.push_back(id[k]);
}

void EncodePiece(Model& m, const uint8_t* p, size_t n, std::vector<uint32_t>& out) {
  if (n == 1) {
    out.push_back(m.byteId[p[0]]);
    return;
  }
  CacheEntry* slot = nullptr;
  if (n <= kCacheBytes) {
    slot = &m.cache[HashBytes(p, n) & (kCacheSlots - 1)];
    if (slot->len == n && std::memcmp(slot->bytes, p, n) == 0) {
      out.insert(out.end(), slot->ids, slot->ids + slot->count);
      return;
    }
  }
  const size_t first = out.size();
  const uint32_t whole = m.ignoreMerges ? FindToken(m, p, n) : kNone;
  if (whole != kNone) out.push_back(whole);
  else if (n <= kScanMax) MergeScan(m, p, n, out);
  else MergeHeap(m, p, n, out);
  const size_t count = out.size() - first;
  if (slot && count <= kCacheTokens) {
    std::memcpy(slot->bytes, p, n);
    slot->len = static_cast<uint8_t>(n);
    slot->count = static_cast<uint8_t>(count);
    std::copy(out.begin() + first, out.end(), slot->ids);
  }
}

// (?i:...) on the contractions' letters: ASCII case, and U+017F LATIN SMALL LETTER LONG S,
// which simple case folding maps to 's'.
inline uint32_t Fold(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c | 0x20;
  return c == 0x17f ? 's' : c;
}

// End (UTF-16 index) of the piece starting at s[i], by the Llama-3 / Qwen2 pattern (top of
// file). Each branch is the first alternative that matches at i, with the length the
// backtracking engine settles on.
size_t LlamaPiece(const uint8_t* bmp, const char16_t* s, size_t n, size_t i, uint32_t maxDigits) {
  auto at = [&](size_t k) { return CharAt(bmp, s, n, k); };
  auto run = [&](size_t k, uint8_t cls) {
    while (k < n) {
      const Char c = at(k);
      if (c.cls != cls) break;
      k += c.units;
    }
    return k;
  };
  const uint32_t c0 = s[i];
  if (c0 == '\'' && i + 1 < n) {
    const uint32_t a = Fold(s[i + 1]);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    if (i + 2 < n) {
      const uint32_t b = Fold(s[i + 2]);
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    }
  }
  const Char ch = at(i);
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (ch.cls == kLetter) return run(i + ch.units, kLetter);
  if (ch.cls != kNumber && c0 != '\r' && c0 != '\n') {
    const size_t k = i + ch.units;
    if (k < n && at(k).cls == kLetter) return run(k, kLetter);
  }
  // \p{N}{1,D}
  if (ch.cls == kNumber) {
    size_t k = i + ch.units;
    for (uint32_t d = 1; d < maxDigits && k < n; d++) {
      const Char c = at(k);
      if (c.cls != kNumber) break;
      k += c.units;
    }
    return k;
  }
  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  {
    size_t k = i;
    if (c0 == ' ' && k + 1 < n && at(k + 1).cls == kOther) k++;
    const Char c = at(k);
    if (c.cls == kOther) {
      k = run(k + c.units, kOther);
      while (k < n && (s[k] == '\r' || s[k] == '\n')) k++;
      return k;
    }
  }
  // ch is white space (every White_Space character is one UTF-16 unit).
  size_t j = i, lastBreak = kNone;
  while (j < n && at(j).cls == kSpace) {
    if (s[j] == '\r' || s[j] == '\n') lastBreak = j;
    j++;
  }
  if (lastBreak != kNone) return lastBreak + 1;  // \s*[\r\n]+: up to the last line break of the run
  if (j == n || j - i == 1) return j;             // \s+(?!\S) at the end, or \s+
  return j - 1;                                    // \s+(?!\S): the last space starts the next piece
}

// UTF-8 of s[i, j) into m.utf8 (sized by the caller); returns its length.
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

void EncodeText(Model& m, const char16_t* s, size_t n, const uint32_t* ends, size_t nends, std::vector<uint32_t>& out) {
  const uint8_t* bmp = uclass::BmpClasses();
  if (m.utf8.size() < 3 * n + 8) m.utf8.resize(3 * n + 8);
  uint8_t* buf = m.utf8.data();
  size_t i = 0, piece = 0;
  while (i < n) {
    size_t j;
    if (ends) {
      if (piece >= nends) break;
      j = std::min<size_t>(std::max<size_t>(ends[piece++], i), n);
      if (j == i) continue;
    } else {
      j = LlamaPiece(bmp, s, n, i, m.maxDigits);
    }
    const size_t len = ToUtf8(bmp, s, n, i, j, buf);
    EncodePiece(m, buf, len, out);
    i = j;
  }
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
    const uint8_t c = static_cast<uint8_t>(b);
    m->byteId[b] = FindToken(*m, &c, 1);
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
  for (uint32_t r = 0; r < nm; r++) {
    if (left[r] >= count || right[r] >= count || joined[r] >= count) {
      Napi::RangeError::New(env, "bpeLoad: merge " + std::to_string(r) + " names a token past the vocabulary").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const uint64_t key = MergeKey(left[r], right[r]);
    uint64_t i = MergeSlotOf(key, m->mergeMask);
    while (m->merges[i] != kEmptyKey && (m->merges[i] & ~kFieldMask) != key) i = (i + 1) & m->mergeMask;
    if (m->merges[i] != kEmptyKey) continue;  // a repeated merge keeps its first (lowest) rank
    m->merges[i] = key | r;
  }
  m->pairRank.resize(0x10000);
  for (uint32_t x = 0; x < 0x10000; x++) m->pairRank[x] = FindMergeInTable(*m, MergeKey(m->byteId[x >> 8], m->byteId[x & 0xff]));
  return Napi::External<Model>::New(env, m.release(), Finalize);
}

Napi::Uint32Array ToArray(Napi::Env env, const std::vector<uint32_t>& v) {
  Napi::Uint32Array a = Napi::Uint32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * 4);
  return a;
}

Napi::Value EncodeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Model* m = GetModel(info);
  if (!m) return env.Undefined();
  thread_local std::u16string buf;
  if (info.Length() < 2 || !ReadUtf16(env, info[1], buf)) {
    Napi::TypeError::New(env, "bpeEncode(model, text: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint32_t> ids;
  ids.reserve(buf.size() / 3 + 8);
  EncodeText(*m, buf.data(), buf.size(), nullptr, 0, ids);
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
  ids.reserve(buf.size() / 3 + 8);
  EncodeText(*m, buf.data(), buf.size(), ends.Data(), ends.ElementLength(), ids);
  return ToArray(env, ids);
}

Napi::Value EncodeDocsJs(const Napi::CallbackInfo& info) {
  Model* m = GetModel(info);
  if (!m) return info.Env().Undefined();
  return docs::EncodeDocs(info, 1, "bpeEncodeDocs", [m](const char16_t* s, size_t n, std::vector<uint32_t>& ids) { EncodeText(*m, s, n, nullptr, 0, ids); });
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
