// A batch of documents for the tokenizers' encodeDocs calls: each element a JS string or a
// Uint8Array of UTF-8 (a Parquet text value read without making a JS string, issue #16), and
// the result, every document's ids followed by the end token, as one typed array of the
// shard's width plus per-document lengths. Shared by gpt2_bpe.cc and bpe.cc.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "kernels.h"

namespace refinery::docs {

// --- UTF-8 documents (a tokenizer whose scanner reads UTF-8 needs no UTF-16 copy) ---

// The UTF-8 of what the WHATWG decoder (TextDecoder with ignoreBOM) makes of p[0, n): valid
// sequences copied, each maximal invalid subsequence one U+FFFD (EF BF BD), exactly as
// Utf8ToUtf16 reads them; a leading BOM kept. out has room for 3 * n bytes (one bad byte
// becomes three, + 4 bytes written over). Returns the bytes written; *units =
// the decoded text's UTF-16 length.
inline size_t Utf8Sanitize(const uint8_t* p, size_t n, uint8_t* out, size_t* units) {
  size_t i = 0, k = 0, u = 0;
  while (i < n) {
#ifdef __SSE2__
    // ASCII, 16 bytes at a time (the common case: copied as is).
    while (i + 16 <= n) {
      const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      if (_mm_movemask_epi8(w)) break;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), w);
      i += 16, k += 16, u += 16;
    }
    if (i >= n) break;
#endif
    const uint32_t c = p[i];
    if (c < 0x80) {
      out[k++] = static_cast<uint8_t>(c);
      i++, u++;
      continue;
    }
    if (i + 4 <= n) {  // valid 2- and 3-byte sequences (most non-ASCII text), copied as a word (out has room)
      uint32_t w;
      std::memcpy(&w, p + i, 4);
      const uint32_t b1 = (w >> 8) & 0xff;
      if ((w & 0xc0e0) == 0x80c0 && c >= 0xc2) {
        std::memcpy(out + k, &w, 4);
        i += 2, k += 2, u++;
        continue;
      }
      if ((w & 0xc0c0f0) == 0x8080e0 && (c != 0xe0 || b1 >= 0xa0) && (c != 0xed || b1 <= 0x9f)) {
        std::memcpy(out + k, &w, 4);
        i += 3, k += 3, u++;
        continue;
      }
    }
    uint32_t need, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) need = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4) need = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else need = 0;
    size_t j = i + 1;
    uint32_t seen = 0;
    if (need) {
      while (seen < need && j < n && p[j] >= lo && p[j] <= hi) {
        lo = 0x80, hi = 0xbf;
        j++;
        seen++;
      }
    }
    if (need == 0 || seen < need) {  // the bytes that started a valid prefix are one replacement
      out[k] = 0xef, out[k + 1] = 0xbf, out[k + 2] = 0xbd;
      k += 3, u++;
      i = j;
      continue;
    }
    for (size_t q = i; q < j; q++) out[k++] = p[q];
    u += need == 3 ? 2 : 1;  // a 4-byte sequence is a surrogate pair in UTF-16
    i = j;
  }
  *units = u;
  return k;
}

// One document's text as UTF-8, with `slack` readable (and defined) bytes after its end so a
// scanner may load whole words there. The buffer is reused from document to document.
struct Utf8Doc {
  std::unique_ptr<uint8_t[]> buf;
  size_t cap = 0;
  size_t size = 0;   // bytes of text
  size_t units = 0;  // its UTF-16 length (the stats' characters)
  uint8_t* Reserve(size_t n) {
    if (cap < n) {
      cap = std::max(n, 2 * cap);
      buf.reset(new uint8_t[cap]());  // zeroed: bytes read past the text are defined
    }
    return buf.get();
  }
};

// A batch element (a JS string, or a Uint8Array of UTF-8 as the Parquet reader gives it) as
// UTF-8 in doc: bytes sanitized as TextDecoder reads them; a string as V8 writes its UTF-8
// (napi_get_value_string_utf8 replaces a lone surrogate with U+FFFD, as TextEncoder does),
// followed by `slack` zero bytes (scanners load whole words past a piece, and the generic BPE
// takes a zero byte for the end). False when v is neither.
inline bool ReadDocUtf8(napi_env env, napi_value v, Utf8Doc& doc, size_t slack) {
  bool typed = false;
  if (napi_is_typedarray(env, v, &typed) == napi_ok && typed) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) return false;
    uint8_t* out = doc.Reserve(3 * length + 4 + slack);
    doc.size = Utf8Sanitize(static_cast<const uint8_t*>(data), length, out, &doc.units);
    std::memset(out + doc.size, 0, slack);
    return true;
  }
  size_t units = 0;
  if (napi_get_value_string_utf16(env, v, nullptr, 0, &units) != napi_ok) return false;
  // 3 bytes per code unit at most (a surrogate pair: 4 bytes for 2 units), + the NUL napi writes.
  uint8_t* out = doc.Reserve(3 * units + 1 + slack);
  size_t bytes = 0;
  if (napi_get_value_string_utf8(env, v, reinterpret_cast<char*>(out), 3 * units + 1, &bytes) != napi_ok) return false;
  doc.size = bytes;
  doc.units = units;
  std::memset(out + bytes, 0, slack);
  return true;
}

// ids (each below 2^16 when width is 2) as { tokens } of that width, set on out; false (a
// RangeError thrown) when an id does not fit.
inline bool SetTokens(Napi::Env env, Napi::Object out, const std::vector<uint32_t>& ids, uint32_t width, const char* name) {
  if (width == 2) {
    Napi::Uint16Array t = Napi::Uint16Array::New(env, ids.size());
    uint32_t high = 0;
    uint16_t* o = t.Data();
    for (size_t k = 0; k < ids.size(); k++) {
      high |= ids[k];
      o[k] = static_cast<uint16_t>(ids[k]);
    }
    if (high > 0xffff) {
      Napi::RangeError::New(env, std::string(name) + ": a token id does not fit 16 bits").ThrowAsJavaScriptException();
      return false;
    }
    out.Set("tokens", t);
  } else {
    Napi::Uint32Array t = Napi::Uint32Array::New(env, ids.size());
    if (!ids.empty()) std::memcpy(t.Data(), ids.data(), ids.size() * 4);
    out.Set("tokens", t);
  }
  return true;
}

// Each element of texts read into doc (ReadDocUtf8), then each(d) with doc holding element d;
// false (a TypeError thrown, naming the element) when one is neither a string nor a Uint8Array.
template <class Each>
bool ForEachDocUtf8(Napi::Env env, Napi::Array texts, const char* name, Utf8Doc& doc, size_t slack, Each&& each) {
  const uint32_t count = texts.Length();
  for (uint32_t d = 0; d < count; d++) {
    napi_value v;
    if (napi_get_element(env, texts, d, &v) != napi_ok || !ReadDocUtf8(env, v, doc, slack)) {
      Napi::TypeError::New(env, std::string(name) + ": element " + std::to_string(d) + " is not a string or a Uint8Array").ThrowAsJavaScriptException();
      return false;
    }
    each(d);
  }
  return true;
}

// encodeDocs(..., texts: (string | Uint8Array)[] at info[at], endToken: number (-1: none) at
// info[at + 1], width: 2 | 4 at info[at + 2]) -> { tokens, lengths, units }: every document's
// ids followed by the end token, as one typed array of that width, the ids per document, and
// the texts' UTF-16 length in all (the stats' characters). encode(p, n, ids) appends one
// document's ids, p having `slack` readable zero bytes past n.
template <class Encode>
Napi::Value EncodeDocsUtf8(const Napi::CallbackInfo& info, size_t at, const char* name, size_t slack, Encode&& encode) {
  Napi::Env env = info.Env();
  if (info.Length() < at + 3 || !info[at].IsArray() || !info[at + 1].IsNumber() || !info[at + 2].IsNumber()) {
    Napi::TypeError::New(env, std::string(name) + ": (texts: (string | Uint8Array)[], endToken: number, width: 2 | 4)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto texts = info[at].As<Napi::Array>();
  const int64_t end = info[at + 1].As<Napi::Number>().Int64Value();
  const uint32_t width = info[at + 2].As<Napi::Number>().Uint32Value();
  if (width != 2 && width != 4) {
    Napi::RangeError::New(env, std::string(name) + ": width must be 2 or 4").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint32_t count = texts.Length();
  Napi::Int32Array lengths = Napi::Int32Array::New(env, count);
  thread_local Utf8Doc doc;
  thread_local std::vector<uint32_t> ids;
  ids.clear();
  double units = 0;
  const bool read = ForEachDocUtf8(env, texts, name, doc, slack, [&](uint32_t d) {
    const size_t before = ids.size();
    units += static_cast<double>(doc.units);
    encode(doc.buf.get(), doc.size, ids);
    if (end >= 0) ids.push_back(static_cast<uint32_t>(end));
    lengths[d] = static_cast<int32_t>(ids.size() - before);
  });
  if (!read) return env.Undefined();
  Napi::Object out = Napi::Object::New(env);
  if (!SetTokens(env, out, ids, width, name)) return env.Undefined();
  out.Set("lengths", lengths);
  out.Set("units", Napi::Number::New(env, units));
  return out;
}

}  // namespace refinery::docs
