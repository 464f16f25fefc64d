// MinHash band keys for fuzzy dedup (spec §7; RefinedWeb G.3.1, FineWeb's 14x8 preset).
//
// The signature is K = b*r independent MinHash components, computed by an "exponential race"
// instead of K hash evaluations per shingle. Each distinct shingle x (a 64-bit hash) owns a
// Poisson process of rate K on the time axis, seeded by x alone; every arrival lands in a
// uniformly random component. By the splitting theorem, the first arrival of x in component k
// is then an Exp(1) time, independent across x and k: exactly the value a truly random hash
// function h_k(x) would give, so component k's minimum over a document is a classic MinHash
// and a pair with Jaccard s agrees on a component with probability s, on a band of r with
// s^r, and on some of b bands with 1-(1-s^r)^b (the accuracy test checks this, for short
// documents too). The document's processes race slot by slot; the race stops at the end of
// the first slot after which every component holds an arrival, since later slots only carry
// later times, or after kRaceSlots slots, when the components still empty take one direct
// draw per shingle (see kRaceSlots). Work per document is at most about K*ln(K) arrivals
// (coupon collector: ~87k for 9,000 components) plus one draw per shingle and slot, instead
// of n*K multiply-mins: the idea of Dahlgaard, Knudsen and Thorup, "Fast Similarity
// Sketching" (FOCS 2017) and of FastGM (Qi et al., 2020), with Poisson slots so that no
// logarithm or permutation state is needed.
//
// Time is cut into slots; in each slot, shingle x gets Poisson(16 ln 2) arrivals, each at a
// uniform 32-bit time within the slot. An arrival's value is (slot << 32) | time, so values
// order as times do, and a component's value is the 64-bit minimum.
//
// Shingles: 5-grams (configurable) of GPT-2 token ids of the (already normalized) text, or of
// its space-separated words. A document shorter than n units is one shingle; an empty one
// has none and gets no band keys (the caller skips it).
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "gpt2_bpe.h"
#include "normalize.h"
#include "kernels.h"

namespace refinery::minhash {
namespace {

uint64_t HashUnits(const char16_t* p, size_t n) {
  uint64_t h = 0x84222325cbf29ce4ull ^ n;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = Mix64(h ^ w);
  }
  uint64_t w = 0;
  std::memcpy(&w, p + i, (n - i) * 2);
  return Mix64(h ^ w ^ 0x9e3779b97f4a7c15ull);
}

// Odd multipliers by position, for hashing a short sequence of 64-bit values as
// Mix64(len + sum_k v[k] * mul[k]): the products are independent, so windows and bands
// hash in parallel instead of through a chain of dependent mixes.
std::vector<uint64_t> PositionMultipliers(size_t n) {
  std::vector<uint64_t> mul(n);
  for (size_t k = 0; k < n; k++) mul[k] = Mix64(0x6a09e667f3bcc909ull + (k + 1) * 0x9e3779b97f4a7c15ull) | 1;
  return mul;
}

inline uint64_t SequenceHash(const uint64_t* v, size_t len, const uint64_t* mul) {
  uint64_t h = len;
  for (size_t k = 0; k < len; k++) h += v[k] * mul[k];
  return Mix64(h);
}

// Arrivals per shingle and slot: Poisson with mean 16*ln(2) (~11.1), so that P(0) = 2^-16
// exactly and the table is the same double arithmetic in C++ and in the TypeScript reference
// (stages/minhash/reference.ts), bit for bit. bound[c] = floor(2^64 * P(N <= c)); a uniform
// u gives N = the number of bounds <= u (at most kPoissonMax - 1); `first` jumps to the
// answer's neighbourhood by u's top byte.
constexpr int kPoissonMax = 64;
struct PoissonTable {
  uint64_t bound[kPoissonMax];
  uint8_t first[256];
  PoissonTable() {
    const double rate = 16 * 0.6931471805599453;  // Math.LN2
    double p = 1.0 / 65536, cdf = 0;
    for (int c = 0; c < kPoissonMax; c++) {
      if (c > 0) p = p * rate / c;
      cdf = cdf + p;
      const double scaled = cdf * 18446744073709551616.0;  // exact: a power of two
      bound[c] = scaled >= 18446744073709551616.0 ? ~0ull : static_cast<uint64_t>(scaled);
    }
    for (int t = 0; t < 256; t++) first[t] = static_cast<uint8_t>(Count(static_cast<uint64_t>(t) << 56, 0));
  }
  int Count(uint64_t u, int c) const {
    while (c < kPoissonMax - 1 && u >= bound[c]) c++;
    return c;
  }
};
const PoissonTable kPoisson;

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;
constexpr int kUnrolled = 16;  // arrivals written per shingle without a loop (P(N > 16) ~ 7%)

// The arrivals of every shingle in one slot, as 32-bit words w: the component is
// (w * k) >> 32 and the time within the slot is w itself (monotone in the component, uniform
// within it). Arrival j of shingle x is the top half of Mix64(e + (j+1)*golden) (kMaxWord at
// most), where
// e = Mix64(x ^ slotKey) also draws the count. SlotSeeds lays out every arrival's seed
// (e + (j+1)*golden); the loops below mix them, 8 at a time where the CPU allows.
__attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
size_t SlotSeeds(const uint64_t* xs, size_t nx, uint64_t slotKey, std::vector<uint64_t>& seeds) {
  if (seeds.size() < nx * kUnrolled + kUnrolled) seeds.resize(nx * kUnrolled + kUnrolled);
  uint64_t* sd = seeds.data();
  size_t m = 0;
  for (size_t i = 0; i < nx; i++) {
    const uint64_t e = Mix64(xs[i] ^ slotKey);
    const int n = kPoisson.Count(e, kPoisson.first[e >> 56]);
    if (m + n + kUnrolled > seeds.size()) {
      seeds.resize(2 * seeds.size() + n + kUnrolled);
      sd = seeds.data();
    }
    for (int j = 0; j < kUnrolled; j++) sd[m + j] = e + static_cast<uint64_t>(j + 1) * kGolden;
    for (int j = kUnrolled; j < n; j++) sd[m + j] = e + static_cast<uint64_t>(j + 1) * kGolden;
    m += n;
  }
  return m;
}

// An arrival's word: the top half of its mix, but never ~0u, which marks a component without
// an arrival in RaceMins (a word ~0u would fill a component without leaving a trace).
constexpr uint32_t kMaxWord = 0xfffffffeu;

__attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
void SlotWords(const uint64_t* seeds, size_t m, uint32_t* words) {
  for (size_t t = 0; t < m; t++) {
    const uint32_t w = static_cast<uint32_t>(Mix64(seeds[t]) >> 32);
    words[t] = w < kMaxWord ? w : kMaxWord;
  }
}

// The same words with AVX-512, keeping only the arrivals that can still lower their component:
// w < open[c] as the chunk began (gathered 8 at a time; finished components hold 0). Most
// arrivals of a race land on components finished in earlier slots, so the scalar loop that
// follows sees about a fifth of them. The race's result is the same; a test compares both paths.
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,popcnt")))
size_t SlotWordsAvx512(const uint64_t* seeds, size_t m, const uint32_t* open, size_t k, uint32_t* words) {
  const __m512i c1 = _mm512_set1_epi64(static_cast<long long>(0xbf58476d1ce4e5b9ull));
  const __m512i c2 = _mm512_set1_epi64(static_cast<long long>(0x94d049bb133111ebull));
  const __m512i kk = _mm512_set1_epi64(static_cast<long long>(k));
  size_t out = 0;
  for (size_t t = 0; t < m; t += 8) {
    const __mmask8 live = m - t >= 8 ? 0xff : static_cast<__mmask8>((1u << (m - t)) - 1);
    const __m512i seed = _mm512_maskz_loadu_epi64(live, seeds + t);
    __m512i z = _mm512_xor_si512(seed, _mm512_srli_epi64(seed, 30));
    z = _mm512_mullo_epi64(z, c1);
    z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 27));
    z = _mm512_mullo_epi64(z, c2);
    z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
    const __m512i w = _mm512_min_epu64(_mm512_srli_epi64(z, 32), _mm512_set1_epi64(kMaxWord));
    const __m512i c = _mm512_srli_epi64(_mm512_mul_epu32(w, kk), 32);
    const __m256i old = _mm512_mask_i64gather_epi32(_mm256_setzero_si256(), live, c, open, 4);
    const __m256i w32 = _mm512_cvtepi64_epi32(w);
    const __mmask8 keep = _mm256_mask_cmplt_epu32_mask(live, w32, old);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(words + out), _mm256_maskz_compress_epi32(keep, w32));
    out += static_cast<size_t>(__builtin_popcount(keep));
  }
  return out;
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
  return has;
}

struct Params {
  int shingle = 0;  // 0 = GPT-2 tokens, 1 = words
  size_t ngram = 5, bands = 450, rows = 20;
  uint64_t seed = 1;
  uint64_t key = 0;  // the race's key, from the seed
  std::vector<uint64_t> mul;  // PositionMultipliers(max(ngram, rows))
  std::vector<uint64_t> tailKeys;  // per component, the key of its draws after the race
  bool avx512 = false;  // SlotWordsAvx512 (same result, faster)
};

struct RaceScratch {
  std::vector<uint64_t> seeds;
  std::vector<uint32_t> words, open, filled;
  std::vector<uint64_t> emptyKeys;  // Params::tailKeys of the components empty after the race
};

// The race runs kRaceSlots slots at most. A component still without an arrival by then takes
// its first arrival after that time directly: one independent uniform per (shingle,
// component) stands for the rest of the shingle's process there (the wait for its next
// arrival is exponential and independent of the slots before), so the component is the
// smallest (kRaceSlots, u) over the shingles. In distribution this is the endless race, and
// it is the same for every document since kRaceSlots is fixed. It cuts the race's tail on
// short documents, where filling the last empty components took most arrivals: n*(empty
// components) cheap vectorized draws instead. 10 slots measured best for 20 to 2,000 words.
constexpr uint64_t kRaceSlots = 10;
constexpr size_t kChunk = 4096;  // shingles per arrival batch: ~0.6 MB of seeds and words

// words[j] = min over the shingles x of the top half of Mix64(x ^ keys[j]): the tail
// components' words, shingle by shingle so that the inner loop vectorizes over components.
__attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
void TailWords(const uint64_t* xs, size_t nx, const uint64_t* keys, size_t nk, uint32_t* words) {
  for (size_t j = 0; j < nk; j++) words[j] = ~0u;
  for (size_t i = 0; i < nx; i++) {
    const uint64_t x = xs[i];
    for (size_t j = 0; j < nk; j++) {
      const uint32_t w = static_cast<uint32_t>(Mix64(x ^ keys[j]) >> 32);
      words[j] = w < words[j] ? w : words[j];
    }
  }
}

// Components sig[0..k) of the distinct shingles xs: the race described at the top. During a
// slot, open[c] holds component c's smallest word so far (~0: no arrival yet); when the slot
// ends, the components that got their first arrival in it are final, and open[c] = 0 makes
// every later arrival a no-op for them without a branch.
void RaceMins(const Params& p, const uint64_t* xs, size_t nx, uint64_t* sig, RaceScratch& sc) {
  const size_t k = p.bands * p.rows;
  const uint64_t key = p.key;
  const bool avx512 = p.avx512;
  sc.open.assign(k, ~0u);
  sc.filled.resize(k + 1);
  uint32_t* open = sc.open.data();
  uint32_t* filled = sc.filled.data();
  size_t empty = k;
  for (uint64_t slot = 0; empty > 0 && slot < kRaceSlots; slot++) {
    const uint64_t slotKey = Mix64(key + slot * kGolden);
    size_t nf = 0;
    // Shingles in chunks, so that the arrival buffers stay small for a huge document.
    for (size_t i0 = 0; i0 < nx; i0 += kChunk) {
      size_t m = SlotSeeds(xs + i0, std::min(kChunk, nx - i0), slotKey, sc.seeds);
      if (sc.words.size() < m + 8) sc.words.resize(2 * m + 8);
      if (avx512) {
        m = SlotWordsAvx512(sc.seeds.data(), m, open, k, sc.words.data());
      } else {
        SlotWords(sc.seeds.data(), m, sc.words.data());
      }
      const uint32_t* words = sc.words.data();
      for (size_t t = 0; t < m; t++) {
        const uint32_t w = words[t];
        const size_t c = static_cast<size_t>((static_cast<uint64_t>(w) * k) >> 32);
        const uint32_t old = open[c];
        filled[nf] = static_cast<uint32_t>(c);
        nf += old == ~0u;
        open[c] = w < old ? w : old;
      }
    }
    for (size_t f = 0; f < nf; f++) {
      const size_t c = filled[f];
      sig[c] = (slot << 32) | open[c];
      open[c] = 0;
    }
    empty -= nf;
  }
  if (empty == 0) return;
  // The empty components, listed without a branch per component (a third of them may be
  // empty on a short document: a branch would be mispredicted half the time).
  size_t ne = 0;
  for (size_t c = 0; c < k; c++) {
    filled[ne] = static_cast<uint32_t>(c);
    ne += open[c] == ~0u;
  }
  sc.emptyKeys.resize(ne);
  for (size_t j = 0; j < ne; j++) sc.emptyKeys[j] = p.tailKeys[filled[j]];
  if (sc.words.size() < ne) sc.words.resize(ne);
  TailWords(xs, nx, sc.emptyKeys.data(), ne, sc.words.data());
  for (size_t j = 0; j < ne; j++) sig[filled[j]] = (kRaceSlots << 32) | sc.words[j];
}

// Units (token ids or word hashes) of one normalized text.
void Units(const Params& p, const char16_t* s, size_t n, std::vector<uint32_t>& ids, std::vector<uint64_t>& units) {
  units.clear();
  if (p.shingle == 0) {
    ids.clear();
    gpt2::Encode(s, n, ids, nullptr);
    units.resize(ids.size());
    for (size_t i = 0; i < ids.size(); i++) units[i] = Mix64(ids[i] + 0x51ed27ull);
    return;
  }
  size_t i = 0;
  while (i < n) {
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) i++;
    size_t j = i;
    while (j < n && !(s[j] == ' ' || s[j] == '\n' || s[j] == '\t' || s[j] == '\r')) j++;
    if (j > i) units.push_back(HashUnits(s + i, j - i));
    i = j;
  }
}

// Keeps the first occurrence of each value, in order: a linear-probing set sized to the input
// (sorting was a tenth of the signature time).
void Distinct(std::vector<uint64_t>& v, std::vector<uint64_t>& table) {
  size_t cap = 16;
  while (cap < 2 * v.size()) cap <<= 1;
  table.assign(cap, 0);
  bool zero = false;
  size_t out = 0;
  for (size_t i = 0; i < v.size(); i++) {
    const uint64_t x = v[i];
    bool fresh;
    if (x == 0) {  // 0 marks a free slot; the value itself is kept aside
      fresh = !zero;
      zero = true;
    } else {
      size_t h = Mix64(x) & (cap - 1);
      while (table[h] != 0 && table[h] != x) h = (h + 1) & (cap - 1);
      fresh = table[h] == 0;
      table[h] = x;
    }
    if (fresh) v[out++] = x;
  }
  v.resize(out);
}

struct SignatureScratch {
  std::vector<uint64_t> shingles, table, sig;
  RaceScratch race;
};

// out[band] = SequenceHash of the band's mixed components (mixing them first keeps the sum
// from seeing their structure, slot and word).
__attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
void BandHashes(uint64_t* sig, size_t bands, size_t rows, const uint64_t* mul, uint64_t* out) {
  const size_t k = bands * rows;
  for (size_t j = 0; j < k; j++) sig[j] = Mix64(sig[j]);
  for (size_t band = 0; band < bands; band++) out[band] = SequenceHash(sig + band * rows, rows, mul);
}

// Band keys of one document into out[0..bands); returns the number of distinct shingles.
size_t Signature(const Params& p, const std::vector<uint64_t>& units, SignatureScratch& sc, uint64_t* out) {
  std::vector<uint64_t>& shingles = sc.shingles;
  shingles.clear();
  if (units.empty()) return 0;
  const uint64_t* mul = p.mul.data();
  if (units.size() < p.ngram) {
    shingles.push_back(SequenceHash(units.data(), units.size(), mul));
  } else {
    shingles.resize(units.size() - p.ngram + 1);
    for (size_t i = 0; i < shingles.size(); i++) shingles[i] = SequenceHash(units.data() + i, p.ngram, mul);
  }
  Distinct(shingles, sc.table);
  const size_t k = p.bands * p.rows;
  std::vector<uint64_t>& sig = sc.sig;
  sig.resize(k);
  RaceMins(p, shingles.data(), shingles.size(), sig.data(), sc.race);
  BandHashes(sig.data(), p.bands, p.rows, mul, out);
  return shingles.size();
}

bool GetSize(Napi::Object o, const char* key, size_t& v) {
  Napi::Value x = o.Get(key);
  if (!x.IsNumber()) return false;
  double d = x.As<Napi::Number>().DoubleValue();
  if (d < 1 || d > 1e6) return false;
  v = static_cast<size_t>(d);
  return true;
}

// minhashBands(texts: string[], opts: {shingle: 'gpt2'|'words', ngram, bands, rows, seed,
//               normalize?: bool (normalize::ForMinhash first), digits_to_zero?: bool, portable?: bool})
//   -> [keys: BigUint64Array (texts x bands, row-major), shingles: Uint32Array]
Napi::Value BandsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsObject()) {
    Napi::TypeError::New(env, "minhashBands(texts: string[], opts)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[1].As<Napi::Object>();
  Params p;
  std::string shingle = o.Get("shingle").ToString().Utf8Value();
  double seed = o.Get("seed").IsNumber() ? o.Get("seed").As<Napi::Number>().DoubleValue() : 1;
  if ((shingle != "gpt2" && shingle != "words") || !GetSize(o, "ngram", p.ngram) || !GetSize(o, "bands", p.bands) ||
      !GetSize(o, "rows", p.rows)) {
    Napi::TypeError::New(env, "minhashBands: opts needs shingle 'gpt2'|'words' and positive ngram, bands, rows")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  p.shingle = shingle == "gpt2" ? 0 : 1;
  p.seed = static_cast<uint64_t>(seed);
  if (p.shingle == 0 && !gpt2::Loaded()) {
    Napi::Error::New(env, "minhashBands: GPT-2 ranks not loaded (call gpt2Load first)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  p.key = Mix64(p.seed * kGolden + 0x2545f4914f6cdd1dull);
  p.mul = PositionMultipliers(std::max(p.ngram, p.rows));
  p.tailKeys.resize(p.bands * p.rows);
  const uint64_t tailKey = Mix64(p.key ^ 0x7a11c0de5eedull);
  for (size_t c = 0; c < p.tailKeys.size(); c++) p.tailKeys[c] = Mix64(tailKey + c * kGolden);
  // The filter pays when most arrivals are wasted, i.e. for many components (450 x 20); for
  // FineWeb's 112 the portable path measured faster.
  p.avx512 = HasAvx512() && p.bands * p.rows >= 1024 && !o.Get("portable").ToBoolean().Value();
  const bool normalize = o.Get("normalize").ToBoolean().Value();
  const bool digitsToZero = o.Get("digits_to_zero").ToBoolean().Value();
  auto arr = info[0].As<Napi::Array>();
  uint32_t n = arr.Length();
  Napi::BigUint64Array keys = Napi::BigUint64Array::New(env, static_cast<size_t>(n) * p.bands);
  Napi::Uint32Array counts = Napi::Uint32Array::New(env, n);
  std::u16string buf, normalized;
  std::vector<uint32_t> ids;
  std::vector<uint64_t> units;
  SignatureScratch scratch;
  for (uint32_t i = 0; i < n; i++) {
    if (!ReadUtf16(env, arr.Get(i), buf)) {
      Napi::TypeError::New(env, "minhashBands: element " + std::to_string(i) + " is not a string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (normalize) {
      normalize::ForMinhash(buf.data(), buf.size(), digitsToZero, normalized);
      Units(p, normalized.data(), normalized.size(), ids, units);
    } else {
      Units(p, buf.data(), buf.size(), ids, units);
    }
    counts[i] = static_cast<uint32_t>(Signature(p, units, scratch, keys.Data() + static_cast<size_t>(i) * p.bands));
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, keys);
  out.Set(1u, counts);
  return out;
}


// minhashSections(keys: BigUint64Array (docs x bands), bands, include: Uint32Array, base?: number)
//   -> Uint8Array: per band, the included docs' records (key_hi u32, key_lo u32, base + doc u32),
//      sorted by (key, doc): one run of a signature file (stages/minhash/files.ts), whose
//      documents start at shard row `base`.
Napi::Value SectionsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsTypedArray()) {
    Napi::TypeError::New(env, "minhashSections(keys: BigUint64Array, bands: number, include: Uint32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto keys = info[0].As<Napi::BigUint64Array>();
  size_t bands = info[1].As<Napi::Number>().Uint32Value();
  auto include = info[2].As<Napi::Uint32Array>();
  size_t docs = bands ? keys.ElementLength() / bands : 0;
  size_t m = include.ElementLength();
  const uint32_t base = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Uint32Value() : 0;
  for (size_t i = 0; i < m; i++) {
    if (include[i] >= docs || include[i] > 0xffffffffu - base) {
      Napi::RangeError::New(env, "minhashSections: include index out of range").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  Napi::Uint8Array out = Napi::Uint8Array::New(env, bands * m * 12);
  uint32_t* w = reinterpret_cast<uint32_t*>(out.Data());
  std::vector<std::pair<uint64_t, uint32_t>> recs(m);
  const uint64_t* k = keys.Data();
  for (size_t band = 0; band < bands; band++) {
    for (size_t i = 0; i < m; i++) recs[i] = {k[static_cast<size_t>(include[i]) * bands + band], include[i]};
    std::sort(recs.begin(), recs.end());
    for (auto& r : recs) {
      *w++ = static_cast<uint32_t>(r.first >> 32);
      *w++ = static_cast<uint32_t>(r.first);
      *w++ = base + r.second;
    }
  }
  return out;
}

}  // namespace
}  // namespace refinery::minhash

namespace refinery {
void InitMinhash(Napi::Env env, Napi::Object exports) {
  exports.Set("minhashBands", Napi::Function::New(env, minhash::BandsJs));
  exports.Set("minhashSections", Napi::Function::New(env, minhash::SectionsJs));
}
}  // namespace refinery
