// Suffix array (SA-IS) and LCP (Kasai / PLCP) over an integer alphabet, and the exact-substring
// window scan built on them (spec §8; Lee et al. 2022 "Deduplicating Training Data Makes
// Language Models Better").
//
// SA-IS: Nong, Zhang & Chan, "Two Efficient Algorithms for Linear Time Suffix Array
// Construction" (IEEE TC 2011). Linear time; the recursion reuses the SA buffer for the reduced
// string, so construction needs the text (4 B/symbol) + SA (4 B/symbol) + a type byte per
// symbol (a byte, not a bit: faster) + one bucket array per level (50,259 ints at the top).
// LCP: Kasai et al. (CPM 2001) in its PLCP form (Karkkainen, Manzini & Puglisi, CPM 2009):
// Phi[SA[r]] = SA[r-1], then PLCP computed in place over Phi, so LCP needs 4 B/symbol more.
// Peak for exactWindows: text 4 + SA 4 + PLCP 4 bytes per token + 2 bit sets (~12.3 B/token;
// construction alone: 9.3); after the SA is freed, the returned window records (8 B hash +
// 4 B position per distinct window, 4 B per duplicated start).
//
// Document separators: every document is followed by the symbol 1 (tokens are shifted by 2,
// 0 is the end sentinel). A match is never allowed to run across a separator: the LCP
// comparison stops at a separator even when both suffixes have one there. Capping every LCP
// at the first separator keeps Kasai's invariant (lcp(i+1) >= lcp(i) - 1), because a capped
// common prefix of two suffixes is also a capped common prefix of any suffix sorted between them.
#include "kernels.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <sys/mman.h>

namespace refinery {
namespace {

using idx_t = int32_t;  // texts up to 2^31 - 1 symbols (a part is far smaller)

// A zero-initialized array on anonymous memory asking for transparent huge pages: the induced
// sort and Kasai touch memory at random, and on arrays of hundreds of MB the TLB misses of
// 4 KiB pages dominate (~2x). Falls back to ordinary pages when THP is off.
template <typename T>
class BigArray {
 public:
  explicit BigArray(size_t n) : n_(n), bytes_(((n * sizeof(T)) + kHuge - 1) / kHuge * kHuge) {
    if (bytes_ == 0) return;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    if (bytes_ >= kHuge) madvise(p, bytes_, MADV_HUGEPAGE);
    data_ = static_cast<T*>(p);
  }
  ~BigArray() { Free(); }
  BigArray(const BigArray&) = delete;
  BigArray& operator=(const BigArray&) = delete;
  void Free() {
    if (data_) munmap(data_, bytes_);
    data_ = nullptr;
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  size_t size() const { return n_; }

 private:
  static constexpr size_t kHuge = 2u << 20;
  size_t n_, bytes_;
  T* data_ = nullptr;
};

// Bucket boundaries for each symbol: starts (end=false) or one-past-ends (end=true).
template <typename Sym>
void Buckets(const Sym* s, idx_t n, idx_t k, idx_t* bkt, bool end) {
  std::fill(bkt, bkt + k, 0);
  for (idx_t i = 0; i < n; i++) bkt[s[i]]++;
  idx_t sum = 0;
  for (idx_t c = 0; c < k; c++) {
    sum += bkt[c];
    bkt[c] = end ? sum : sum - bkt[c];
  }
}

struct Types {
  explicit Types(size_t n) : s(n) {}
  BigArray<uint8_t> s;  // 1 = S-type suffix (a byte, not a bit: ~1.5x faster induce)
  bool S(idx_t i) const { return s[i]; }
  bool Lms(idx_t i) const { return i > 0 && s[i] && !s[i - 1]; }
};

// Induced sort: L-type suffixes left to right from bucket starts, then S-type right to left
// from bucket ends.
template <typename Sym>
void Induce(const Sym* s, idx_t* sa, const Types& t, idx_t n, idx_t k, idx_t* bkt) {
  Buckets(s, n, k, bkt, false);
  for (idx_t i = 0; i < n; i++) {
    idx_t j = sa[i] - 1;
    if (sa[i] > 0 && !t.S(j)) sa[bkt[s[j]]++] = j;
  }
  Buckets(s, n, k, bkt, true);
  for (idx_t i = n - 1; i >= 0; i--) {
    idx_t j = sa[i] - 1;
    if (sa[i] > 0 && t.S(j)) sa[--bkt[s[j]]] = j;
  }
}

// s[n-1] must be the unique smallest symbol (0); all symbols < k.
template <typename Sym>
void Sais(const Sym* s, idx_t* sa, idx_t n, idx_t k) {
  if (n == 1) {
    sa[0] = 0;
    return;
  }
  Types t(n);
  t.s[n - 1] = 1;
  for (idx_t i = n - 2; i >= 0; i--) t.s[i] = s[i] < s[i + 1] || (s[i] == s[i + 1] && t.s[i + 1]);

  std::vector<idx_t> bkt(k);
  // Stage 1: place LMS suffixes at their bucket ends, induce, which sorts LMS substrings.
  Buckets(s, n, k, bkt.data(), true);
  std::fill(sa, sa + n, -1);
  for (idx_t i = 1; i < n; i++)
    if (t.Lms(i)) sa[--bkt[s[i]]] = i;
  Induce(s, sa, t, n, k, bkt.data());

  // Compact the sorted LMS positions into sa[0, n1).
  idx_t n1 = 0;
  for (idx_t i = 0; i < n; i++)
    if (t.Lms(sa[i])) sa[n1++] = sa[i];

  // Name LMS substrings: equal substrings get equal names. Names go to sa[n1 + pos/2]
  // (LMS positions are at least 2 apart, so no two collide).
  std::fill(sa + n1, sa + n, -1);
  idx_t name = 0, prev = -1;
  for (idx_t i = 0; i < n1; i++) {
    idx_t pos = sa[i];
    bool diff = false;
    for (idx_t d = 0; d < n; d++) {
      if (prev == -1 || s[pos + d] != s[prev + d] || t.S(pos + d) != t.S(prev + d)) {
        diff = true;
        break;
      }
      if (d > 0 && (t.Lms(pos + d) || t.Lms(prev + d))) break;
    }
    if (diff) {
      name++;
      prev = pos;
    }
    sa[n1 + pos / 2] = name - 1;
  }
  for (idx_t i = n - 1, j = n - 1; i >= n1; i--)
    if (sa[i] >= 0) sa[j--] = sa[i];

  // Stage 2: sort the reduced string (recursively when names repeat).
  idx_t* sa1 = sa;
  idx_t* s1 = sa + n - n1;
  if (name < n1) {
    Sais<idx_t>(s1, sa1, n1, name);
  } else {
    for (idx_t i = 0; i < n1; i++) sa1[s1[i]] = i;
  }
  bkt.assign(k, 0);  // (the recursion freed its own buckets)

  // Stage 3: put the sorted LMS suffixes at their bucket ends and induce the rest.
  Buckets(s, n, k, bkt.data(), true);
  for (idx_t i = 1, j = 0; i < n; i++)
    if (t.Lms(i)) s1[j++] = i;
  for (idx_t i = 0; i < n1; i++) sa1[i] = s1[sa1[i]];
  std::fill(sa + n1, sa + n, -1);
  for (idx_t i = n1 - 1; i >= 0; i--) {
    idx_t j = sa[i];
    sa[i] = -1;
    sa[--bkt[s[j]]] = j;
  }
  Induce(s, sa, t, n, k, bkt.data());
}

constexpr uint32_t kSentinel = 0;
constexpr uint32_t kSeparator = 1;
constexpr uint32_t kShift = 2;

// PLCP in place: on input phi[i] = suffix sorted just before i (or -1), on output
// plcp[i] = lcp(i, phi[i]) capped at the first separator.
void PlcpInPlace(const uint32_t* s, idx_t n, idx_t* phi) {
  idx_t h = 0;
  for (idx_t i = 0; i < n; i++) {
    idx_t j = phi[i];
    if (j < 0) {
      phi[i] = 0;
      h = 0;
      continue;
    }
    while (i + h < n && j + h < n && s[i + h] == s[j + h] && s[i + h] > kSeparator) h++;
    phi[i] = h;
    if (h > 0) h--;
  }
}

void BuildPhi(const idx_t* sa, idx_t n, idx_t* phi) {
  phi[sa[0]] = -1;
  for (idx_t r = 1; r < n; r++) phi[sa[r]] = sa[r - 1];
}

Napi::Value TypeError(Napi::Env env, const char* msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

// suffixArray(text: Uint32Array, alphabetSize: number): Int32Array
// Plain suffix array of `text` (values < alphabetSize), no separators: for tests and bench.
Napi::Value SuffixArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) return TypeError(env, "suffixArray(text: Uint32Array, alphabetSize)");
  auto text = info[0].As<Napi::Uint32Array>();
  uint32_t k = info[1].As<Napi::Number>().Uint32Value();
  size_t n = text.ElementLength();
  if (n + 1 >= (size_t)INT32_MAX) return TypeError(env, "suffixArray: text too long");
  BigArray<uint32_t> s(n + 1);
  for (size_t i = 0; i < n; i++) {
    if (text[i] >= k) return TypeError(env, "suffixArray: symbol >= alphabetSize");
    s[i] = text[i] + 1;
  }
  s[n] = 0;
  BigArray<idx_t> sa(n + 1);
  Sais<uint32_t>(s.data(), sa.data(), (idx_t)(n + 1), (idx_t)k + 1);
  auto out = Napi::Int32Array::New(env, n);
  for (size_t i = 0; i < n; i++) out[i] = sa[i + 1];  // drop the sentinel, always first
  return out;
}

// lcpArray(text: Uint32Array, sa: Int32Array): Int32Array  (lcp[r] = lcp(SA[r-1], SA[r]), lcp[0] = 0)
Napi::Value LcpArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray()) return TypeError(env, "lcpArray(text: Uint32Array, sa: Int32Array)");
  auto text = info[0].As<Napi::Uint32Array>();
  auto saIn = info[1].As<Napi::Int32Array>();
  idx_t n = (idx_t)text.ElementLength();
  if ((idx_t)saIn.ElementLength() != n) return TypeError(env, "lcpArray: sa length differs from text");
  if (n == 0) return Napi::Int32Array::New(env, 0);
  std::vector<uint32_t> s(n);
  for (idx_t i = 0; i < n; i++) s[i] = text[i] + kShift;  // no separators in a plain text
  std::vector<idx_t> sa(saIn.Data(), saIn.Data() + n), phi(n);
  BuildPhi(sa.data(), n, phi.data());
  PlcpInPlace(s.data(), n, phi.data());
  auto out = Napi::Int32Array::New(env, n);
  for (idx_t r = 0; r < n; r++) out[r] = r == 0 ? 0 : phi[sa[r]];
  return out;
}

// A window's fingerprint: two polynomial hashes mod 2^61 - 1 with bases drawn from a seed
// (~122 bits). Fingerprints only route and pair windows; every cross-part match is then
// checked token by token, so a collision can never remove text (it is reported instead).
constexpr uint64_t kMod = (1ULL << 61) - 1;
inline uint64_t MulMod(uint64_t a, uint64_t b) {
  unsigned __int128 p = (unsigned __int128)a * b;
  uint64_t lo = (uint64_t)(p & kMod), hi = (uint64_t)(p >> 61);
  uint64_t r = lo + hi;
  return r >= kMod ? r - kMod : r;
}
inline uint64_t AddMod(uint64_t a, uint64_t b) {
  uint64_t r = a + b;
  return r >= kMod ? r - kMod : r;
}
// Spread the 61-bit value over 64 bits so hash-range buckets are even.
inline uint64_t Mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x9e3779b97f4a7c15ULL;
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 32;
  return x;
}

struct Bases {
  uint64_t b1, b2;
  explicit Bases(uint32_t seed) {
    b1 = 256 + Mix(2 * (uint64_t)seed + 1) % (kMod - 512);
    b2 = 256 + Mix(2 * (uint64_t)seed + 2) % (kMod - 512);
  }
};

// exactWindows(tokens: Uint32Array, docLengths: Uint32Array, k, buckets, base, seed):
//   { dupStarts: Uint32Array, windowHash: BigUint64Array, windowHash2: BigUint64Array,
//     windowPos: Uint32Array, bucketStarts: Uint32Array }
// Over the documents concatenated (token positions without separators, plus `base`):
// - dupStarts: sorted starts of every k-token window (inside one document) occurring at least
//   twice in this part;
// - one record per distinct k-token window (its smallest position and its fingerprint
//   (windowHash, windowHash2)), grouped by bucket (bucket b = records
//   [bucketStarts[b], bucketStarts[b+1]), b = range of windowHash) and sorted by
//   (windowHash, windowHash2, position) inside a bucket.
// Memory: while the suffix array lives, text 4 + SA 4 + PLCP 4 bytes per token + 3 bit sets;
// after, the text and the returned records (12 B per distinct window, 4 B per duplicated start).
Napi::Value ExactWindows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber() || !info[3].IsNumber() || !info[4].IsNumber() || !info[5].IsNumber())
    return TypeError(env, "exactWindows(tokens: Uint32Array, docLengths: Uint32Array, k, buckets, base, seed)");
  auto tokens = info[0].As<Napi::Uint32Array>();
  auto lens = info[1].As<Napi::Uint32Array>();
  uint32_t k = info[2].As<Napi::Number>().Uint32Value();
  uint32_t buckets = info[3].As<Napi::Number>().Uint32Value();
  uint32_t base = info[4].As<Napi::Number>().Uint32Value();
  const Bases hb(info[5].As<Napi::Number>().Uint32Value());
  size_t ntok = tokens.ElementLength(), ndocs = lens.ElementLength();
  if (k == 0 || buckets == 0) return TypeError(env, "exactWindows: k and buckets must be > 0");
  uint64_t total = 0;
  for (size_t d = 0; d < ndocs; d++) total += lens[d];
  if (total != ntok) return TypeError(env, "exactWindows: docLengths do not sum to tokens.length");
  if (ntok + ndocs + 1 >= (size_t)INT32_MAX || (uint64_t)base + ntok > UINT32_MAX) return TypeError(env, "exactWindows: part too large (split it)");

  // Text: doc tokens shifted by 2, separator 1 after each doc, sentinel 0 at the end.
  idx_t n = (idx_t)(ntok + ndocs + 1);
  BigArray<uint32_t> s(n);
  std::vector<uint32_t> docTextStart(ndocs + 1);
  uint32_t maxSym = kShift;
  {
    size_t ti = 0, tp = 0;
    for (size_t d = 0; d < ndocs; d++) {
      docTextStart[d] = (uint32_t)ti;
      for (uint32_t j = 0; j < lens[d]; j++) {
        uint32_t v = tokens[tp++] + kShift;
        if (v > maxSym) maxSym = v;
        s[ti++] = v;
      }
      s[ti++] = kSeparator;
    }
    docTextStart[ndocs] = (uint32_t)ti;
    s[ti] = kSentinel;
  }
  // Bit sets over text positions: window start is a record (distinct window's smallest
  // position), and window start is duplicated in this part.
  std::vector<bool> isRecord(n, false), isDup(n, false);
  {
    BigArray<idx_t> sa(n);
    Sais<uint32_t>(s.data(), sa.data(), n, (idx_t)maxSym + 1);
    BigArray<idx_t> plcp(n);
    BuildPhi(sa.data(), n, plcp.data());
    PlcpInPlace(s.data(), n, plcp.data());
    // A run of consecutive suffixes with capped LCP >= k is one distinct window occurring
    // (run length) times; a capped LCP >= k means k non-separator symbols, so a valid window.
    for (idx_t r = 0; r < n;) {
      idx_t e = r + 1;
      while (e < n && plcp[sa[e]] >= (idx_t)k) e++;
      if (e - r > 1) {
        idx_t minPos = sa[r];
        for (idx_t q = r; q < e; q++) {
          isDup[sa[q]] = true;
          if (sa[q] < minPos) minPos = sa[q];
        }
        isRecord[minPos] = true;
      }
      r = e;
    }
  }  // SA and PLCP freed here
  // Windows outside any run occur once: every valid start not yet marked duplicated.
  for (size_t d = 0; d < ndocs; d++) {
    if (lens[d] < k) continue;
    for (uint32_t p = docTextStart[d], last = docTextStart[d] + lens[d] - k; p <= last; p++)
      if (!isDup[p]) isRecord[p] = true;
  }

  // Rolling fingerprints over each document; visit(textPos, h1, h2, doc) for every record,
  // in text order.
  uint64_t top1 = 1, top2 = 1;  // base^(k-1)
  for (uint32_t i = 1; i < k; i++) top1 = MulMod(top1, hb.b1), top2 = MulMod(top2, hb.b2);
  auto forEachRecord = [&](auto&& visit) {
    for (size_t d = 0; d < ndocs; d++) {
      if (lens[d] < k) continue;
      uint32_t start = docTextStart[d], end = start + lens[d];
      uint64_t h1 = 0, h2 = 0;
      for (uint32_t i = 0; i < k; i++) h1 = AddMod(MulMod(h1, hb.b1), s[start + i]), h2 = AddMod(MulMod(h2, hb.b2), s[start + i]);
      for (uint32_t p = start;; p++) {
        if (isRecord[p]) visit(p, Mix(h1), Mix(h2), d);
        if (p + k >= end) break;
        h1 = AddMod(MulMod(AddMod(h1, kMod - MulMod(s[p], top1)), hb.b1), s[p + k]);
        h2 = AddMod(MulMod(AddMod(h2, kMod - MulMod(s[p], top2)), hb.b2), s[p + k]);
      }
    }
  };
  auto bucketOf = [&](uint64_t h) -> uint32_t { return (uint32_t)(((h >> 32) * buckets) >> 32); };
  std::vector<uint32_t> counts(buckets + 1, 0);
  size_t nrec = 0;
  forEachRecord([&](uint32_t, uint64_t h, uint64_t, size_t) { counts[bucketOf(h) + 1]++, nrec++; });
  for (uint32_t b = 0; b < buckets; b++) counts[b + 1] += counts[b];
  auto bucketStarts = Napi::Uint32Array::New(env, buckets + 1);
  for (uint32_t b = 0; b <= buckets; b++) bucketStarts[b] = counts[b];
  auto hashOut = Napi::BigUint64Array::New(env, nrec);
  auto hash2Out = Napi::BigUint64Array::New(env, nrec);
  auto posOut = Napi::Uint32Array::New(env, nrec);
  uint64_t* hv = hashOut.Data();
  uint64_t* hv2 = hash2Out.Data();
  uint32_t* pv = posOut.Data();
  forEachRecord([&](uint32_t p, uint64_t h1, uint64_t h2, size_t d) {
    uint32_t at = counts[bucketOf(h1)]++;
    hv[at] = h1;
    hv2[at] = h2;
    pv[at] = p - (uint32_t)d + base;  // text -> token position: minus d separators
  });
  // Sort each bucket by (h1, h2, position), one bucket at a time (temporary: 24 B per record
  // of the largest bucket).
  {
    struct R {
      uint64_t h1, h2;
      uint32_t pos;
      bool operator<(const R& o) const { return h1 != o.h1 ? h1 < o.h1 : h2 != o.h2 ? h2 < o.h2 : pos < o.pos; }
    };
    std::vector<R> tmp;
    for (uint32_t b = 0; b < buckets; b++) {
      uint32_t lo = bucketStarts[b], hi = bucketStarts[b + 1];
      tmp.resize(hi - lo);
      for (uint32_t i = lo; i < hi; i++) tmp[i - lo] = {hv[i], hv2[i], pv[i]};
      std::sort(tmp.begin(), tmp.end());
      for (uint32_t i = lo; i < hi; i++) hv[i] = tmp[i - lo].h1, hv2[i] = tmp[i - lo].h2, pv[i] = tmp[i - lo].pos;
    }
  }
  size_t ndup = 0;
  for (idx_t p = 0; p < n; p++) ndup += isDup[p];
  auto dupStarts = Napi::Uint32Array::New(env, ndup);
  {
    size_t j = 0;
    for (size_t d = 0; d < ndocs; d++)
      for (uint32_t p = docTextStart[d], end = docTextStart[d] + lens[d]; p < end; p++)
        if (isDup[p]) dupStarts[j++] = p - (uint32_t)d + base;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("dupStarts", dupStarts);
  out.Set("windowHash", hashOut);
  out.Set("windowHash2", hash2Out);
  out.Set("windowPos", posOut);
  out.Set("bucketStarts", bucketStarts);
  return out;
}

// windowHashes(windows: Uint32Array, k, seed): BigUint64Array [h1, h2, h1, h2, ...] — the
// fingerprint exactWindows gives each consecutive k tokens of `windows` (for tests).
Napi::Value WindowHashes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber()) return TypeError(env, "windowHashes(windows: Uint32Array, k, seed)");
  auto w = info[0].As<Napi::Uint32Array>();
  uint32_t k = info[1].As<Napi::Number>().Uint32Value();
  const Bases hb(info[2].As<Napi::Number>().Uint32Value());
  if (k == 0 || w.ElementLength() % k) return TypeError(env, "windowHashes: length must be a multiple of k");
  size_t m = w.ElementLength() / k;
  auto out = Napi::BigUint64Array::New(env, 2 * m);
  for (size_t j = 0; j < m; j++) {
    uint64_t h1 = 0, h2 = 0;
    for (uint32_t i = 0; i < k; i++) {
      h1 = AddMod(MulMod(h1, hb.b1), w[j * k + i] + kShift);
      h2 = AddMod(MulMod(h2, hb.b2), w[j * k + i] + kShift);
    }
    out[2 * j] = Mix(h1);
    out[2 * j + 1] = Mix(h2);
  }
  return out;
}

}  // namespace

void InitSuffixArray(Napi::Env env, Napi::Object exports) {
  exports.Set("suffixArray", Napi::Function::New(env, SuffixArray, "suffixArray"));
  exports.Set("lcpArray", Napi::Function::New(env, LcpArray, "lcpArray"));
  exports.Set("exactWindows", Napi::Function::New(env, ExactWindows, "exactWindows"));
  exports.Set("windowHashes", Napi::Function::New(env, WindowHashes, "windowHashes"));
}
}  // namespace refinery
