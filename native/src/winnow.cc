// Winnowing kernels of the exact-substring step (spec §8; Lee et al. 2022 "ExactSubstr";
// Schleimer, Wilkerson & Aiken, "Winnowing: Local Algorithms for Document Fingerprinting",
// SIGMOD 2003).
//
// winnowPicks: hash every q-token gram of each document; in every run of w = k - q + 1
// consecutive grams (one k-token window) pick the rightmost gram of minimum hash. The pick
// of a window is a function of the window's tokens alone, so two copies of a k-token window
// pick the same gram at the same offset: every duplicated window contains a pick shared by
// both copies. Density ~2/(w+1) on text without short-period runs; on a run of one repeated
// gram every position is a pick (at most one pick per token).
//
// winnowSpans: for the picks of one gram hash (a group), which k-token windows around each
// pick occur at another pick of the group at the same offset. A group of up to kSmallGroup
// members compares every pair directly. In a larger one, per offset j (the window
// [pick - j, pick - j + k)), the members' window fingerprints are sorted and every class of
// equal fingerprints is verified token by token against its first member (a fingerprint is
// never trusted: members that differ are split off and compared among themselves). Work per
// member: its context (2k - q tokens) hashed once, w sorted entries, and one token comparison
// per (member, class representative) pair, remembered across offsets; so a group of m picks
// costs O(m w log m), never m^2 comparisons, however periodic the text.
#include "kernels.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace refinery {
namespace {

Napi::Value TypeError(Napi::Env env, const char* msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Window fingerprints (winnowSpans) by polynomial hashing modulo the Mersenne prime 2^61 - 1
// (no bias from a power-of-two modulus; Thue-Morse strings break hashing modulo 2^64,
// whatever the base).
constexpr uint64_t kMod = (1ULL << 61) - 1;
// Groups up to this size are settled by comparing every pair of members directly.
constexpr uint32_t kSmallGroup = 4;
inline uint64_t MulMod(uint64_t a, uint64_t b) {
  unsigned __int128 p = (unsigned __int128)a * b;
  uint64_t r = (uint64_t)(p & kMod) + (uint64_t)(p >> 61);
  return r >= kMod ? r - kMod : r;
}
inline uint64_t AddMod(uint64_t a, uint64_t b) {
  uint64_t r = a + b;
  return r >= kMod ? r - kMod : r;
}
inline uint64_t SubMod(uint64_t a, uint64_t b) { return a >= b ? a - b : a + kMod - b; }
// A seeded base in [256, kMod - 256); `which` keeps it apart from other seeded hashes.
inline uint64_t BaseFor(uint32_t seed, uint32_t which) { return 256 + Mix64(4 * (uint64_t)seed + which) % (kMod - 512); }
inline uint64_t PowMod(uint64_t b, uint32_t e) {
  uint64_t r = 1;
  for (uint32_t i = 0; i < e; i++) r = MulMod(r, b);
  return r;
}

// winnowPicks(tokens: Uint8Array | Uint16Array | Uint32Array, docLengths: Uint32Array, k, q, buckets, seed):
//   { hash: BigUint64Array, pos: Uint32Array, bucketStarts: Uint32Array }
// The picks of every document of at least k tokens: gram hash (mixed again after the selection) and token
// position (of the documents concatenated), grouped by bucket (the hash's range of 2^64,
// bucket b = [bucketStarts[b], bucketStarts[b+1])), in position order inside a bucket.
// The ids come in the token file's width (GPT-2: u16), so the index pass keeps no u32 copy.
// Memory: the returned picks and one pick index per pick (plus a w-entry deque).
template <typename T>
void PickAll(const T* t, const uint32_t* lens, size_t ndocs, uint32_t k, uint32_t q, uint32_t seed, std::vector<uint64_t>& hashes, std::vector<uint32_t>& positions) {
  const uint32_t w = k - q + 1;
  // Gram hashes by cyclic polynomial (Buzhash; Cohen 1997, Lemire & Kaser 2010): a seeded
  // random word per token value, rotated by its place in the gram and XORed, rolled in O(1)
  // with two rotations: ~4x cheaper than a polynomial mod 2^61 - 1 with its 128-bit
  // products. A collision only costs a group that verification splits (hashes are never
  // trusted), and Mix64 decorrelates neighbouring grams for the minimum.
  const uint64_t salt = Mix64(4 * (uint64_t)seed + 1);
  auto rotl = [](uint64_t x, uint32_t r) { r &= 63; return r ? (x << r) | (x >> (64 - r)) : x; };
  std::vector<uint64_t> gram;  // gram hashes of one document
  std::vector<uint64_t> words;  // its tokens' words
  // The rightmost minimum of every run of w grams by blocks of w (van Herk 1992; Gil & Werman
  // 1993): per gram, the minimum from its block's start (fromStart) and up to its block's end
  // (toEnd); a window [i - w + 1, i] is toEnd[i - w + 1] and fromStart[i] joined. No
  // data-dependent branches (a deque's pops mispredict about every other gram): ~2x faster.
  std::vector<uint32_t> fromStart, toEnd;
  size_t start = 0;
  for (size_t d = 0; d < ndocs; start += lens[d++]) {
    const uint32_t n = lens[d];
    if (n < k) continue;
    const uint32_t ngrams = n - q + 1;
    gram.resize(ngrams);
    words.resize(n);
    for (uint32_t i = 0; i < n; i++) words[i] = Mix64((uint64_t)t[start + i] ^ salt);
    const uint64_t* wd = words.data();
    uint64_t h = 0;
    for (uint32_t i = 0; i < q; i++) h = rotl(h, 1) ^ wd[i];
    for (uint32_t i = 0;; i++) {
      gram[i] = Mix64(h);
      if (i + 1 == ngrams) break;
      h = rotl(h, 1) ^ rotl(wd[i], q) ^ wd[i + q];
    }
    fromStart.resize(ngrams);
    toEnd.resize(ngrams);
    const uint64_t* g = gram.data();
    // Ties go right (the rightmost minimum): from the left a later equal gram replaces the
    // minimum, from the right an earlier one does not.
    for (uint32_t bs = 0; bs < ngrams; bs += w) {
      const uint32_t be = std::min(bs + w, ngrams);
      // The running minimum in registers: the loop's dependency is a compare, not a load.
      uint64_t mv = g[bs];
      uint32_t mi = bs;
      for (uint32_t i = bs; i < be; i++) {
        const bool take = g[i] <= mv;
        mv = take ? g[i] : mv;
        mi = take ? i : mi;
        fromStart[i] = mi;
      }
      mv = g[be - 1];
      mi = be - 1;
      for (uint32_t i = be; i-- > bs;) {
        const bool take = g[i] < mv;
        mv = take ? g[i] : mv;
        mi = take ? i : mi;
        toEnd[i] = mi;
      }
    }
    uint32_t last = UINT32_MAX;
    for (uint32_t i = w - 1; i < ngrams; i++) {
      const uint32_t l = toEnd[i - w + 1], r = fromStart[i];
      const uint32_t pick = g[r] <= g[l] ? r : l;
      if (pick != last) {
        last = pick;
        // Picks are minima, so their hashes crowd the low end: mix again (a bijection, so
        // groups are unchanged) to spread them over the buckets.
        hashes.push_back(Mix64(gram[last] ^ 0x9e3779b97f4a7c15ull));
        positions.push_back((uint32_t)start + last);
      }
    }
  }
}

Napi::Value WinnowPicks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber() || !info[3].IsNumber() || !info[4].IsNumber() || !info[5].IsNumber())
    return TypeError(env, "winnowPicks(tokens: Uint8Array | Uint16Array | Uint32Array, docLengths: Uint32Array, k, q, buckets, seed)");
  auto tokens = info[0].As<Napi::TypedArray>();
  const napi_typedarray_type type = tokens.TypedArrayType();
  if (type != napi_uint8_array && type != napi_uint16_array && type != napi_uint32_array) return TypeError(env, "winnowPicks: tokens must be a Uint8Array, Uint16Array or Uint32Array");
  if (info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) return TypeError(env, "winnowPicks: docLengths must be a Uint32Array");
  auto lens = info[1].As<Napi::Uint32Array>();
  uint32_t k = info[2].As<Napi::Number>().Uint32Value();
  uint32_t q = info[3].As<Napi::Number>().Uint32Value();
  uint32_t buckets = info[4].As<Napi::Number>().Uint32Value();
  uint32_t seed = info[5].As<Napi::Number>().Uint32Value();
  if (q == 0 || q > k || buckets == 0) return TypeError(env, "winnowPicks: need 1 <= q <= k and buckets > 0");
  size_t ntok = tokens.ElementLength(), ndocs = lens.ElementLength();
  uint64_t total = 0;
  for (size_t d = 0; d < ndocs; d++) total += lens[d];
  if (total != ntok || ntok > UINT32_MAX) return TypeError(env, "winnowPicks: docLengths must sum to tokens.length (< 2^32)");
  std::vector<uint64_t> hashes;
  std::vector<uint32_t> positions;
  const uint8_t* data = static_cast<const uint8_t*>(tokens.ArrayBuffer().Data()) + tokens.ByteOffset();
  if (type == napi_uint8_array) PickAll(data, lens.Data(), ndocs, k, q, seed, hashes, positions);
  else if (type == napi_uint16_array) PickAll(reinterpret_cast<const uint16_t*>(data), lens.Data(), ndocs, k, q, seed, hashes, positions);
  else PickAll(reinterpret_cast<const uint32_t*>(data), lens.Data(), ndocs, k, q, seed, hashes, positions);
  auto bucketOf = [&](uint64_t x) -> uint32_t { return (uint32_t)(((x >> 32) * buckets) >> 32); };
  std::vector<uint32_t> at(buckets + 1, 0);
  for (uint64_t x : hashes) at[bucketOf(x) + 1]++;
  for (uint32_t i = 0; i < buckets; i++) at[i + 1] += at[i];
  auto bucketStarts = Napi::Uint32Array::New(env, buckets + 1);
  std::copy(at.begin(), at.end(), bucketStarts.Data());
  auto hashOut = Napi::BigUint64Array::New(env, hashes.size());
  auto posOut = Napi::Uint32Array::New(env, hashes.size());
  uint64_t* ho = hashOut.Data();
  uint32_t* po = posOut.Data();
  for (size_t i = 0; i < hashes.size(); i++) {
    uint32_t j = at[bucketOf(hashes[i])]++;
    ho[j] = hashes[i];
    po[j] = positions[i];
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("hash", hashOut);
  out.Set("pos", posOut);
  out.Set("bucketStarts", bucketStarts);
  return out;
}

// winnowGroups(hash: BigUint64Array): { members: Uint32Array, groupStarts: Uint32Array }
// The records whose hash occurs at least twice, as indices sorted by (hash, index), and where
// each group of equal hashes starts (groupStarts has one more entry than there are groups).
Napi::Value WinnowGroups(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) return TypeError(env, "winnowGroups(hash: BigUint64Array)");
  auto hash = info[0].As<Napi::BigUint64Array>();
  size_t n = hash.ElementLength();
  const uint64_t* h = hash.Data();
  // (hash, index) pairs sorted in place: an index sort compared through h[] missed the cache
  // at every comparison (~2x slower on a bucket's 300k picks).
  struct Rec {
    uint64_t h;
    uint32_t i;
  };
  std::vector<Rec> recs(n);
  for (size_t i = 0; i < n; i++) recs[i] = {h[i], (uint32_t)i};
  std::sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.h != b.h ? a.h < b.h : a.i < b.i; });
  std::vector<uint32_t> members, starts;
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && recs[j].h == recs[i].h) j++;
    if (j - i > 1) {
      starts.push_back((uint32_t)members.size());
      for (size_t x = i; x < j; x++) members.push_back(recs[x].i);
    }
    i = j;
  }
  starts.push_back((uint32_t)members.size());
  auto m = Napi::Uint32Array::New(env, members.size());
  std::copy(members.begin(), members.end(), m.Data());
  auto g = Napi::Uint32Array::New(env, starts.size());
  std::copy(starts.begin(), starts.end(), g.Data());
  Napi::Object out = Napi::Object::New(env);
  out.Set("members", m);
  out.Set("groupStarts", g);
  return out;
}

// winnowSpans(context: Uint32Array, left: Uint32Array, right: Uint32Array,
//             groupStarts: Uint32Array, k, q, seed, hashBits):
//   { lo: Uint32Array, hi: Uint32Array, collisions: number }
// Member i's context is context[i*S, (i+1)*S), S = 2(w-1) + q, its pick at offset w-1; the
// tokens [w-1-left[i], w-1+right[i]) are the ones inside its document (left <= w-1, right <=
// w-1+q). Output: the member's duplicated span is [pick - lo, pick + hi) (hi = 0: none): the
// union of its windows that occur at another member of its group. hashBits < 64 truncates the
// window fingerprints (tests: forces collisions through the verification path). collisions:
// classes of equal fingerprints that held different windows.
Napi::Value WinnowSpans(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsTypedArray() || !info[3].IsTypedArray())
    return TypeError(env, "winnowSpans(context, left, right, groupStarts, k, q, seed, hashBits)");
  auto context = info[0].As<Napi::Uint32Array>();
  auto left = info[1].As<Napi::Uint32Array>();
  auto right = info[2].As<Napi::Uint32Array>();
  auto groupStarts = info[3].As<Napi::Uint32Array>();
  uint32_t k = info[4].As<Napi::Number>().Uint32Value();
  uint32_t q = info[5].As<Napi::Number>().Uint32Value();
  uint32_t seed = info[6].As<Napi::Number>().Uint32Value();
  uint32_t hashBits = info[7].As<Napi::Number>().Uint32Value();
  if (q == 0 || q > k) return TypeError(env, "winnowSpans: need 1 <= q <= k");
  const uint32_t w = k - q + 1, S = 2 * (w - 1) + q;
  const size_t m = left.ElementLength();
  if (right.ElementLength() != m || context.ElementLength() != (size_t)m * S) return TypeError(env, "winnowSpans: context must hold S tokens per member");
  const size_t ng = groupStarts.ElementLength();
  if (ng == 0 || groupStarts[ng - 1] != m) return TypeError(env, "winnowSpans: groupStarts must end at the member count");
  for (size_t i = 0; i < m; i++)
    if (left[i] > w - 1 || right[i] > w - 1 + q) return TypeError(env, "winnowSpans: left/right out of range");
  const uint64_t mask = hashBits >= 64 ? ~0ULL : ((1ULL << hashBits) - 1);
  const uint64_t b = BaseFor(seed, 2), top = PowMod(b, k - 1);
  const uint32_t* ctx = context.Data();
  auto lo = Napi::Uint32Array::New(env, m);
  auto hi = Napi::Uint32Array::New(env, m);
  std::fill(lo.Data(), lo.Data() + m, 0);
  std::fill(hi.Data(), hi.Data() + m, 0);
  uint64_t collisions = 0;

  std::vector<uint64_t> wh;  // window fingerprint of (member, offset j), member-major
  struct Entry {
    uint64_t h;
    uint32_t member;
  };
  std::vector<Entry> entries;
  std::vector<uint32_t> memoRep, memoL, memoR, cls, rest;
  for (size_t g = 0; g + 1 < ng; g++) {
    const uint32_t g0 = groupStarts[g], g1 = groupStarts[g + 1];
    const uint32_t gm = g1 - g0;
    if (gm < 2) continue;
    if (gm <= kSmallGroup) {
      // Few members: compare every pair directly (no fingerprints). A pair's common extension
      // (l tokens before the pick, r from it on) holds the windows at offsets
      // [max(0, k - r), min(l, w - 1)]; their union is [pick - min(l, w-1), pick + min(k, r)).
      for (uint32_t x = g0; x < g1; x++) {
        for (uint32_t y = x + 1; y < g1; y++) {
          const uint32_t* cx = ctx + (size_t)x * S;
          const uint32_t* cy = ctx + (size_t)y * S;
          uint32_t maxL = std::min(left[x], left[y]), maxR = std::min(right[x], right[y]);
          uint32_t l = 0, r = 0;
          while (r < maxR && cx[w - 1 + r] == cy[w - 1 + r]) r++;
          if (r + std::min(maxL, w - 1) < k) continue;  // cannot reach k tokens
          while (l < maxL && cx[w - 2 - l] == cy[w - 2 - l]) l++;
          const uint32_t jmax = std::min(l, w - 1), jmin = r >= k ? 0 : k - r;
          if (jmin > jmax) continue;
          for (uint32_t i : {x, y}) {
            lo[i] = std::max(lo[i], jmax);
            hi[i] = std::max(hi[i], k - jmin);
          }
        }
      }
      continue;
    }
    // Fingerprints of every window inside each member's document: window at offset j starts
    // at context index w-1-j; one rolling pass over the context.
    wh.assign((size_t)gm * w, 0);
    for (uint32_t x = 0; x < gm; x++) {
      const uint32_t i = g0 + x;
      const uint32_t* c = ctx + (size_t)i * S;
      const uint32_t from = w - 1 - left[i], to = w - 1 + right[i];  // valid [from, to)
      if (to - from < k) continue;
      uint64_t h = 0;
      for (uint32_t a = from; a < from + k; a++) h = AddMod(MulMod(h, b), (uint64_t)c[a] + 1);
      for (uint32_t a = from;; a++) {
        // Window starting at a has offset j = w-1-a (a <= w-1 since it must cover the pick's gram).
        if (a <= w - 1) wh[(size_t)x * w + (w - 1 - a)] = h & mask;
        if (a + k >= to || a >= w - 1) break;
        h = AddMod(MulMod(SubMod(h, MulMod((uint64_t)c[a] + 1, top)), b), (uint64_t)c[a + k] + 1);
      }
    }
    memoRep.assign(gm, UINT32_MAX);
    memoL.assign(gm, 0);
    memoR.assign(gm, 0);
    // Common extension of members x and r (group-local): tokens equal to the left of the pick
    // (l) and from the pick on (r), inside both documents.
    auto extension = [&](uint32_t x, uint32_t r) {
      if (memoRep[x] == r) return;
      const uint32_t* cx = ctx + (size_t)(g0 + x) * S;
      const uint32_t* cr = ctx + (size_t)(g0 + r) * S;
      uint32_t maxL = std::min(left[g0 + x], left[g0 + r]), maxR = std::min(right[g0 + x], right[g0 + r]);
      uint32_t l = 0, rr = 0;
      while (l < maxL && cx[w - 2 - l] == cr[w - 2 - l]) l++;
      while (rr < maxR && cx[w - 1 + rr] == cr[w - 1 + rr]) rr++;
      memoRep[x] = r, memoL[x] = l, memoR[x] = rr;
    };
    auto mark = [&](uint32_t x, uint32_t j) {
      uint32_t i = g0 + x;
      lo[i] = std::max(lo[i], j);
      hi[i] = std::max(hi[i], k - j);
    };
    for (uint32_t j = 0; j < w; j++) {
      entries.clear();
      for (uint32_t x = 0; x < gm; x++)
        if (left[g0 + x] >= j && right[g0 + x] >= k - j) entries.push_back({wh[(size_t)x * w + j], x});
      std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& c) { return a.h != c.h ? a.h < c.h : a.member < c.member; });
      for (size_t e0 = 0; e0 < entries.size();) {
        size_t e1 = e0 + 1;
        while (e1 < entries.size() && entries[e1].h == entries[e0].h) e1++;
        if (e1 - e0 > 1) {
          cls.clear();
          for (size_t e = e0; e < e1; e++) cls.push_back(entries[e].member);
          bool split = false;
          // Verify against the first member; members that differ form the next class.
          while (cls.size() > 1) {
            const uint32_t r = cls[0];
            rest.clear();
            bool any = false;
            for (size_t c = 1; c < cls.size(); c++) {
              const uint32_t x = cls[c];
              extension(x, r);
              if (memoL[x] >= j && memoR[x] >= k - j) {
                mark(x, j);
                any = true;
              } else {
                rest.push_back(x);
              }
            }
            if (any) mark(r, j);
            if (!rest.empty()) split = true;
            cls.swap(rest);
          }
          collisions += split;
        }
        e0 = e1;
      }
    }
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("lo", lo);
  out.Set("hi", hi);
  out.Set("collisions", Napi::Number::New(env, (double)collisions));
  return out;
}


// tokenColumns(tokens: Uint16Array | Uint32Array, offsets: Uint32Array, lengths: Int32Array | Uint32Array):
//   { ids, steps }, each in the narrowest of Uint8Array / Uint16Array / Uint32Array that holds it.
// The index pass's token-file columns from one tokenizer batch: ids narrowed (GPT-2: u16) and
// each token's offset as the step from the previous token's in its document (the first: from
// 0; web text: u8). In JS these were a max scan, a converting copy and a delta loop per column
// (~10% of the index pass).
template <typename T, typename F>
Napi::TypedArray Narrowest(Napi::Env env, size_t n, uint32_t max, F value) {
  if (max < 256) {
    auto a = Napi::Uint8Array::New(env, n);
    for (size_t i = 0; i < n; i++) a[i] = (uint8_t)value(i);
    return a;
  }
  if (max < 65536) {
    auto a = Napi::Uint16Array::New(env, n);
    for (size_t i = 0; i < n; i++) a[i] = (uint16_t)value(i);
    return a;
  }
  auto a = Napi::Uint32Array::New(env, n);
  for (size_t i = 0; i < n; i++) a[i] = value(i);
  return a;
}

template <typename T>
Napi::TypedArray NarrowIds(Napi::Env env, const T* t, size_t n) {
  uint32_t max = 0;
  for (size_t i = 0; i < n; i++) max = std::max<uint32_t>(max, t[i]);
  return Narrowest<T>(env, n, max, [t](size_t i) { return (uint32_t)t[i]; });
}

Napi::Value TokenColumns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "tokenColumns(tokens: Uint16Array | Uint32Array, offsets: Uint32Array, lengths: Int32Array | Uint32Array)";
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsTypedArray()) return TypeError(env, usage);
  auto tokens = info[0].As<Napi::TypedArray>();
  auto offsetsArr = info[1].As<Napi::TypedArray>();
  auto lengthsArr = info[2].As<Napi::TypedArray>();
  const auto ttype = tokens.TypedArrayType(), ltype = lengthsArr.TypedArrayType();
  if ((ttype != napi_uint16_array && ttype != napi_uint32_array) || offsetsArr.TypedArrayType() != napi_uint32_array || (ltype != napi_int32_array && ltype != napi_uint32_array)) return TypeError(env, usage);
  const size_t n = tokens.ElementLength();
  if (offsetsArr.ElementLength() != n) return TypeError(env, "tokenColumns: tokens and offsets differ in length");
  const uint32_t* off = offsetsArr.As<Napi::Uint32Array>().Data();
  // Lengths as u32 either way (an Int32Array's lengths are never negative: checked).
  const uint32_t* lens = reinterpret_cast<const uint32_t*>(static_cast<const uint8_t*>(lengthsArr.ArrayBuffer().Data()) + lengthsArr.ByteOffset());
  const size_t ndocs = lengthsArr.ElementLength();
  // First token of each document: its step is its offset (from 0).
  std::vector<uint8_t> first(n, 0);
  uint64_t total = 0;
  for (size_t d = 0; d < ndocs; d++) {
    if (ltype == napi_int32_array && (int32_t)lens[d] < 0) return TypeError(env, "tokenColumns: a negative length");
    if (total < n && lens[d] > 0) first[total] = 1;
    total += lens[d];
  }
  if (total != n) return TypeError(env, "tokenColumns: lengths must sum to tokens.length");
  uint32_t maxStep = 0;
  for (size_t i = 0; i < n; i++) {
    const uint32_t st = first[i] ? off[i] : off[i] - off[i - 1];
    if (!first[i] && off[i] < off[i - 1]) return TypeError(env, "tokenColumns: offsets decrease inside a document");
    maxStep = std::max(maxStep, st);
  }
  auto steps = Narrowest<uint32_t>(env, n, maxStep, [&](size_t i) { return first[i] ? off[i] : off[i] - off[i - 1]; });
  Napi::TypedArray ids = ttype == napi_uint16_array ? NarrowIds(env, tokens.As<Napi::Uint16Array>().Data(), n) : NarrowIds(env, tokens.As<Napi::Uint32Array>().Data(), n);
  Napi::Object out = Napi::Object::New(env);
  out.Set("ids", ids);
  out.Set("steps", steps);
  return out;
}


// gatherContexts(context: Uint32Array, S, w, ids: Uint8Array | Uint16Array | Uint32Array, base,
//   xs: Uint32Array, pick: Uint32Array, left: Uint32Array, right: Uint32Array)
// For each member x in xs: tokens [pick[x] - left[x], pick[x] + right[x]) of `ids` (which holds
// the shard's tokens from token `base` on) into context[x * S + w - 1 - left[x] ...]: the match
// pass's contexts, where a JS copy loop took ~15% of the pass.
template <typename T>
bool Gather(uint32_t* ctx, size_t ctxLen, uint32_t S, uint32_t w, const T* ids, size_t nids, uint32_t base, const uint32_t* xs, size_t nx, const uint32_t* pick, const uint32_t* left, const uint32_t* right, size_t m) {
  for (size_t c = 0; c < nx; c++) {
    const uint32_t x = xs[c];
    if (x >= m || left[x] > w - 1 || pick[x] < left[x] + base) return false;
    const size_t from = pick[x] - left[x] - base, n = (size_t)left[x] + right[x], to = (size_t)x * S + (w - 1 - left[x]);
    if (from + n > nids || to + n > ctxLen || to + n > ((size_t)x + 1) * S) return false;
    for (size_t e = 0; e < n; e++) ctx[to + e] = ids[from + e];
  }
  return true;
}

Napi::Value GatherContexts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "gatherContexts(context: Uint32Array, S, w, ids: Uint8Array | Uint16Array | Uint32Array, base, xs, pick, left, right: Uint32Array)";
  if (info.Length() < 9 || !info[0].IsTypedArray() || !info[3].IsTypedArray()) return TypeError(env, usage);
  for (int i : {5, 6, 7, 8})
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) return TypeError(env, usage);
  if (info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) return TypeError(env, usage);
  auto ctx = info[0].As<Napi::Uint32Array>();
  const uint32_t S = info[1].As<Napi::Number>().Uint32Value(), w = info[2].As<Napi::Number>().Uint32Value();
  auto ids = info[3].As<Napi::TypedArray>();
  const uint32_t base = info[4].As<Napi::Number>().Uint32Value();
  auto xs = info[5].As<Napi::Uint32Array>(), pick = info[6].As<Napi::Uint32Array>(), left = info[7].As<Napi::Uint32Array>(), right = info[8].As<Napi::Uint32Array>();
  const size_t m = pick.ElementLength();
  if (w == 0 || left.ElementLength() != m || right.ElementLength() != m) return TypeError(env, "gatherContexts: pick, left and right differ in length");
  const uint8_t* data = static_cast<const uint8_t*>(ids.ArrayBuffer().Data()) + ids.ByteOffset();
  const size_t n = ids.ElementLength();
  bool ok;
  switch (ids.TypedArrayType()) {
    case napi_uint8_array: ok = Gather(ctx.Data(), ctx.ElementLength(), S, w, data, n, base, xs.Data(), xs.ElementLength(), pick.Data(), left.Data(), right.Data(), m); break;
    case napi_uint16_array: ok = Gather(ctx.Data(), ctx.ElementLength(), S, w, reinterpret_cast<const uint16_t*>(data), n, base, xs.Data(), xs.ElementLength(), pick.Data(), left.Data(), right.Data(), m); break;
    case napi_uint32_array: ok = Gather(ctx.Data(), ctx.ElementLength(), S, w, reinterpret_cast<const uint32_t*>(data), n, base, xs.Data(), xs.ElementLength(), pick.Data(), left.Data(), right.Data(), m); break;
    default: return TypeError(env, usage);
  }
  if (!ok) {
    Napi::RangeError::New(env, "gatherContexts: a context lies outside the ids or its slot").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return env.Undefined();
}

}  // namespace

void InitWinnow(Napi::Env env, Napi::Object exports) {
  exports.Set("winnowPicks", Napi::Function::New(env, WinnowPicks, "winnowPicks"));
  exports.Set("winnowGroups", Napi::Function::New(env, WinnowGroups, "winnowGroups"));
  exports.Set("gatherContexts", Napi::Function::New(env, GatherContexts, "gatherContexts"));
  exports.Set("tokenColumns", Napi::Function::New(env, TokenColumns, "tokenColumns"));
  exports.Set("winnowSpans", Napi::Function::New(env, WinnowSpans, "winnowSpans"));
}
}  // namespace refinery
