// MinHash band keys for fuzzy dedup (spec §7; RefinedWeb G.3.1, FineWeb's 14x8 preset).
//
// Classic MinHash: b*r independent hash functions h_j(x) = a_j*x + b_j (mod 2^64, a_j odd,
// a_j and b_j drawn from a seeded splitmix64) applied to each distinct shingle's 64-bit hash x;
// component j is the minimum over the document's shingles. A pair with Jaccard s agrees on a
// component with probability s, on a whole band of r components with s^r, and so on some of
// b bands with 1-(1-s^r)^b (the accuracy test checks this). Each band's r minima are hashed
// into one 64-bit band key; two documents are candidates when a band key matches.
//
// Shingles: 5-grams (configurable) of GPT-2 token ids of the (already normalized) text, or of
// its space-separated words. A document shorter than n units is one shingle; an empty one
// has none and gets no band keys (the caller skips it).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "gpt2_bpe.h"
#include "kernels.h"

namespace refinery::minhash {
namespace {

inline uint64_t Mix64(uint64_t z) {  // splitmix64 / murmur3 finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

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

// Hash of the window units[i, i+len).
inline uint64_t ShingleHash(const uint64_t* units, size_t len) {
  uint64_t h = 0x6a09e667f3bcc909ull;
  for (size_t k = 0; k < len; k++) h = Mix64(h + units[k] * 0x9e3779b97f4a7c15ull);
  return h;
}

// sig[j] = min(sig[j], a[j]*x + b[j]) over all x: the hot loop. Components go in tiles of
// kTile whose a, b and running minima stay in registers while every shingle streams by;
// cloned per ISA so the 64-bit multiplies vectorize where the CPU has them (AVX-512DQ
// vpmullq) and stay scalar elsewhere.
constexpr size_t kTile = 32;

__attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
void UpdateMins(const uint64_t* xs, size_t nx, const uint64_t* a, const uint64_t* b, uint64_t* sig, size_t k) {
  size_t j0 = 0;
  for (; j0 + kTile <= k; j0 += kTile) {
    uint64_t ta[kTile], tb[kTile], tm[kTile];
    for (size_t j = 0; j < kTile; j++) {
      ta[j] = a[j0 + j];
      tb[j] = b[j0 + j];
      tm[j] = sig[j0 + j];
    }
    for (size_t i = 0; i < nx; i++) {
      const uint64_t x = xs[i];
      for (size_t j = 0; j < kTile; j++) {
        uint64_t v = ta[j] * x + tb[j];
        tm[j] = v < tm[j] ? v : tm[j];
      }
    }
    for (size_t j = 0; j < kTile; j++) sig[j0 + j] = tm[j];
  }
  for (; j0 < k; j0++) {
    uint64_t m = sig[j0];
    for (size_t i = 0; i < nx; i++) {
      uint64_t v = a[j0] * xs[i] + b[j0];
      m = v < m ? v : m;
    }
    sig[j0] = m;
  }
}

struct Params {
  int shingle = 0;  // 0 = GPT-2 tokens, 1 = words
  size_t ngram = 5, bands = 450, rows = 20;
  uint64_t seed = 1;
  std::vector<uint64_t> a, b;
};

void MakeCoefficients(Params& p) {
  size_t k = p.bands * p.rows;
  p.a.resize(k);
  p.b.resize(k);
  uint64_t s = p.seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
  for (size_t j = 0; j < k; j++) {
    s += 0x9e3779b97f4a7c15ull;
    p.a[j] = Mix64(s) | 1;
    s += 0x9e3779b97f4a7c15ull;
    p.b[j] = Mix64(s);
  }
}

// Units (token ids or word hashes) of one normalized text.
void Units(const Params& p, const char16_t* s, size_t n, std::vector<uint32_t>& ids, std::vector<uint64_t>& units) {
  units.clear();
  if (p.shingle == 0) {
    ids.clear();
    gpt2::Encode(s, n, ids, nullptr);
    for (uint32_t id : ids) units.push_back(Mix64(id + 0x51ed27ull));
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

// Band keys of one document into out[0..bands); returns the number of distinct shingles.
size_t Signature(const Params& p, const std::vector<uint64_t>& units, std::vector<uint64_t>& shingles,
                 std::vector<uint64_t>& sig, uint64_t* out) {
  shingles.clear();
  if (units.empty()) return 0;
  if (units.size() < p.ngram) {
    shingles.push_back(ShingleHash(units.data(), units.size()));
  } else {
    for (size_t i = 0; i + p.ngram <= units.size(); i++) shingles.push_back(ShingleHash(units.data() + i, p.ngram));
  }
  std::sort(shingles.begin(), shingles.end());
  shingles.erase(std::unique(shingles.begin(), shingles.end()), shingles.end());
  size_t k = p.bands * p.rows;
  sig.assign(k, ~0ull);
  UpdateMins(shingles.data(), shingles.size(), p.a.data(), p.b.data(), sig.data(), k);
  for (size_t band = 0; band < p.bands; band++) out[band] = ShingleHash(sig.data() + band * p.rows, p.rows);
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

// minhashBands(texts: string[], opts: {shingle: 'gpt2'|'words', ngram, bands, rows, seed})
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
  MakeCoefficients(p);
  auto arr = info[0].As<Napi::Array>();
  uint32_t n = arr.Length();
  Napi::BigUint64Array keys = Napi::BigUint64Array::New(env, static_cast<size_t>(n) * p.bands);
  Napi::Uint32Array counts = Napi::Uint32Array::New(env, n);
  std::u16string buf;
  std::vector<uint32_t> ids;
  std::vector<uint64_t> units, shingles, sig;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v = arr.Get(i);
    size_t len = 0;
    if (napi_get_value_string_utf16(env, v, nullptr, 0, &len) != napi_ok) {
      Napi::TypeError::New(env, "minhashBands: element " + std::to_string(i) + " is not a string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    buf.resize(len + 1);
    napi_get_value_string_utf16(env, v, buf.data(), len + 1, &len);
    Units(p, buf.data(), len, ids, units);
    counts[i] = static_cast<uint32_t>(Signature(p, units, shingles, sig, keys.Data() + static_cast<size_t>(i) * p.bands));
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, keys);
  out.Set(1u, counts);
  return out;
}


// minhashSections(keys: BigUint64Array (docs x bands), bands, include: Uint32Array)
//   -> Uint8Array: per band, the included docs' records (key_hi u32, key_lo u32, doc u32),
//      sorted by (key, doc): the body of a signature file (stages/minhash/files.ts).
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
  for (size_t i = 0; i < m; i++) {
    if (include[i] >= docs) {
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
      *w++ = r.second;
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
