// MinHash text normalization (see normalize.h). Every code point has a fixed image under the
// JS pipeline except U+03A3 (Final_Sigma); normalize_tables.h lists the images as runs (made by
// native/scripts/gen-normalize-tables.mjs, which also checks why a per-code-point image is
// exact). At first use the BMP runs are expanded into a 64K table so the common case is one
// load per UTF-16 unit; astral code points and the rare cases take a binary search.
#include "normalize.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels.h"
#include "normalize_tables.h"

namespace refinery::normalize {
namespace {
using tables::Kind;

// BMP table entry: the unit written in bits 0..15, kSpaceBit if it is a space (collapsed), and the
// other kinds above (so `e < kDropEntry` is the common case: one unit or a space, branch-free).
constexpr uint32_t kSpaceBit = 1u << 16, kDropEntry = 1u << 17, kSyllableEntry = 2u << 17, kSlowEntry = 3u << 17;

const tables::Run* FindRun(uint32_t cp) {
  const tables::Run* end = tables::kRuns + sizeof(tables::kRuns) / sizeof(tables::kRuns[0]);
  const tables::Run* r = std::upper_bound(tables::kRuns, end, cp, [](uint32_t c, const tables::Run& x) { return c < x.lo; });
  if (r == tables::kRuns) return nullptr;
  --r;
  return cp <= r->hi ? r : nullptr;
}

// The 64K table for one digits setting, built from the runs at first use.
std::vector<uint32_t> BuildBmpTable(bool digitsToZero) {
  std::vector<uint32_t> t(0x10000);
  for (uint32_t c = 0; c < 0x10000; c++) t[c] = c >= 0xd800 && c < 0xe000 ? kSlowEntry : c;  // surrogates: Slow()
  for (const tables::Run& r : tables::kRuns) {
    if (r.lo > 0xffff) break;
    for (uint32_t c = r.lo; c <= r.hi; c++) {
      switch (r.kind) {
        case Kind::kMap: {
          uint32_t to = static_cast<uint32_t>(static_cast<int32_t>(c) + r.arg);
          t[c] = to <= 0xffff ? to : kSlowEntry;
          break;
        }
        case Kind::kDrop: t[c] = kDropEntry; break;
        case Kind::kSpace: t[c] = kSpaceBit | u' '; break;
        case Kind::kDigit: t[c] = digitsToZero ? u'0' : c; break;
        case Kind::kHangul: t[c] = kSyllableEntry; break;
        default: t[c] = kSlowEntry; break;
      }
    }
  }
  return t;
}

const uint32_t* BmpTable(bool digitsToZero) {
  static const std::vector<uint32_t> keep = BuildBmpTable(false), zero = BuildBmpTable(true);
  return digitsToZero ? zero.data() : keep.data();
}

bool InRanges(const tables::Range* begin, const tables::Range* end, uint32_t cp) {
  const tables::Range* r = std::upper_bound(begin, end, cp, [](uint32_t c, const tables::Range& x) { return c < x.lo; });
  return r != begin && cp <= (r - 1)->hi;
}

// Final_Sigma classes (Unicode §3.13, as ICU's toLowerCase applies them): 0 neither, 1 cased,
// 2 case-ignorable (skipped, even when also cased). Lone surrogates are neither.
int CaseClass(uint32_t cp) {
  using tables::kCased;
  using tables::kCaseIgnorable;
  if (InRanges(kCaseIgnorable, kCaseIgnorable + sizeof(kCaseIgnorable) / sizeof(kCaseIgnorable[0]), cp)) return 2;
  return InRanges(kCased, kCased + sizeof(kCased) / sizeof(kCased[0]), cp) ? 1 : 0;
}

bool IsHigh(char16_t u) { return u >= 0xd800 && u < 0xdc00; }
bool IsLow(char16_t u) { return u >= 0xdc00 && u < 0xe000; }
uint32_t Pair(char16_t hi, char16_t lo) { return 0x10000 + ((static_cast<uint32_t>(hi) - 0xd800) << 10) + (lo - 0xdc00); }

// U+03A3 at s[i] lowercases to final ς when preceded by a cased letter and not followed by one,
// case-ignorables skipped both ways, in the original text.
bool FinalSigma(const char16_t* s, size_t n, size_t i) {
  int before = 0;
  for (size_t j = i; j > 0;) {
    char16_t u = s[--j];
    uint32_t cp = IsLow(u) && j > 0 && IsHigh(s[j - 1]) ? Pair(s[--j], u) : u;
    if ((before = CaseClass(cp)) != 2) break;
  }
  if (before != 1) return false;
  for (size_t j = i + 1; j < n;) {
    char16_t u = s[j++];
    uint32_t cp = IsHigh(u) && j < n && IsLow(s[j]) ? Pair(u, s[j++]) : u;
    int after = CaseClass(cp);
    if (after != 2) return after != 1;
  }
  return true;
}

// Output with whitespace collapsed and trimmed: a space is written only after text, and a
// trailing one is dropped at the end.
struct Writer {
  std::u16string& out;
  char16_t* begin;
  char16_t* w;
  char16_t* cap;
  bool afterSpace = true;  // nothing written yet, or a space last: a space now adds nothing
  char16_t* joinable = nullptr;  // w just after a lone high surrogate, if nothing written since

  // Room for `units` more units; the main loop writes at most one unit per input unit, so only
  // expansions need to ask.
  void Reserve(size_t units) {
    if (static_cast<size_t>(cap - w) >= units) return;
    size_t used = w - begin;
    ptrdiff_t join = joinable ? joinable - begin : -1;
    out.resize(std::max(out.size() * 2, used + units));
    begin = &out[0];
    w = begin + used;
    cap = begin + out.size();
    joinable = join < 0 ? nullptr : begin + join;
  }
  void Text(char16_t u) {
    *w++ = u;
    afterSpace = false;
  }
  void Code(uint32_t cp) {
    if (cp <= 0xffff) return Text(static_cast<char16_t>(cp));
    *w++ = static_cast<char16_t>(0xd800 + ((cp - 0x10000) >> 10));
    Text(static_cast<char16_t>(0xdc00 + ((cp - 0x10000) & 0x3ff)));
  }
  void Space() {
    if (!afterSpace) *w++ = u' ';
    afterSpace = true;
  }
  // The lone high surrogate just written and the lone low one now read form a pair in JS (the
  // marks between them were removed before the P/S and Nd steps): apply those steps to it.
  void Join(char16_t low, bool digitsToZero, const tables::Run* r) {
    joinable = nullptr;
    if (r && r->kind == Kind::kSpace) {
      --w;
      afterSpace = w == begin || w[-1] == u' ';  // spaces are written only by Space()
      Space();
    } else if (r && r->kind == Kind::kDigit && digitsToZero) {
      w[-1] = u'0';
    } else {
      Text(low);
    }
  }
};

// The code point at s[i] (a pair or a lone unit) through the run tables; returns units read.
size_t Slow(const char16_t* s, size_t n, size_t i, bool digitsToZero, Writer& out) {
  uint32_t cp = s[i];
  size_t len = 1;
  if (IsHigh(s[i]) && i + 1 < n && IsLow(s[i + 1])) cp = Pair(s[i], s[i + 1]), len = 2;
  out.Reserve(n - i + 4);
  if (cp >= 0xd800 && cp < 0xdc00) {  // lone high surrogate
    out.Text(s[i]);
    out.joinable = out.w;
    return 1;
  }
  if (cp >= 0xdc00 && cp < 0xe000) {  // lone low surrogate
    if (out.w == out.joinable) {
      out.Join(s[i], digitsToZero, FindRun(Pair(out.w[-1], s[i])));
    } else {
      out.Text(s[i]);
    }
    return 1;
  }
  const tables::Run* r = FindRun(cp);
  if (!r) {
    out.Code(cp);
    return len;
  }
  switch (r->kind) {
    case Kind::kMap: out.Code(static_cast<uint32_t>(static_cast<int32_t>(cp) + r->arg)); break;
    case Kind::kDrop: break;
    case Kind::kSpace: out.Space(); break;
    case Kind::kDigit: digitsToZero ? out.Text(u'0') : out.Code(cp); break;
    case Kind::kExpand: {
      const char16_t* p = tables::kPool + (r->arg >> 8);
      for (int k = 0; k < (r->arg & 0xff); k++) out.Text(p[k]);
      break;
    }
    case Kind::kSigma: out.Text(FinalSigma(s, n, i) ? u'\u03c2' : u'\u03c3'); break;
    default: out.Code(cp); break;
  }
  return len;
}
}  // namespace

void ForMinhash(const char16_t* s, size_t n, bool digitsToZero, std::u16string& out) {
  const uint32_t* table = BmpTable(digitsToZero);
  if (out.size() < n + 1) out.resize(n + 1);
  Writer wr{out, &out[0], &out[0], &out[0] + out.size()};
  char16_t* w = wr.w;
  bool afterSpace = true;
  for (size_t i = 0; i < n;) {
    uint32_t e = table[s[i]];
    if (e < kDropEntry) {  // a unit, or a space that counts unless one was just written
      bool space = e & kSpaceBit;
      *w = static_cast<char16_t>(e);
      w += !(space & afterSpace);
      afterSpace = space;
      i++;
      continue;
    }
    if (e == kDropEntry) {
      i++;
      continue;
    }
    if (e == kSyllableEntry) {  // Unicode §3.12 Hangul syllable decomposition: L V (T) jamo
      uint32_t si = s[i++] - 0xac00, t = si % 28;
      if (static_cast<size_t>(wr.cap - w) < n - i + 3) {
        wr.w = w;
        wr.Reserve(n - i + 3);
        w = wr.w;
      }
      w[0] = static_cast<char16_t>(0x1100 + si / 588);
      w[1] = static_cast<char16_t>(0x1161 + (si % 588) / 28);
      w[2] = static_cast<char16_t>(0x11a7 + t);  // kept only when t != 0
      w += 2 + (t != 0);
      afterSpace = false;
      continue;
    }
    wr.w = w;
    wr.afterSpace = afterSpace;
    i += Slow(s, n, i, digitsToZero, wr);
    w = wr.w;
    afterSpace = wr.afterSpace;
  }
  if (afterSpace && w != wr.begin) w--;  // the trailing space
  out.resize(w - wr.begin);
}

namespace {
// minhashNormalize(text: string, digitsToZero: boolean): string
Napi::Value NormalizeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBoolean()) {
    Napi::TypeError::New(env, "minhashNormalize(text: string, digitsToZero: boolean)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  thread_local std::u16string in, out;  // reused: one pair per thread (Node workers included)
  ReadUtf16(env, info[0], in);
  ForMinhash(in.data(), in.size(), info[1].As<Napi::Boolean>().Value(), out);
  return Napi::String::New(env, out.data(), out.size());
}
}  // namespace
}  // namespace refinery::normalize

namespace refinery {
void InitNormalize(Napi::Env env, Napi::Object exports) {
  exports.Set("minhashNormalize", Napi::Function::New(env, normalize::NormalizeJs));
}
}  // namespace refinery
