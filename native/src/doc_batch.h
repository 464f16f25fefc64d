// A batch of documents for the tokenizers' encodeDocs calls: each element a JS string or a
// Uint8Array of UTF-8 (a Parquet text value read without making a JS string, issue #16), and
// the result, every document's ids followed by the end token, as one typed array of the
// shard's width plus per-document lengths. Shared by gpt2_bpe.cc and bpe.cc.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"

namespace refinery::docs {

// UTF-8 to UTF-16 as the WHATWG decoder (TextDecoder with ignoreBOM, what the Parquet reader
// makes of these bytes, src/formats/parquet.ts): each maximal invalid subsequence one U+FFFD,
// a leading BOM kept (it is part of the document).
inline void Utf8ToUtf16(const uint8_t* p, size_t n, std::u16string& out) {
  out.resize(n);  // never more units than bytes
  char16_t* o = out.data();
  size_t i = 0, k = 0;
  while (i < n) {
    // ASCII, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      for (int b = 0; b < 8; b++) o[k + b] = p[i + b];
      i += 8;
      k += 8;
    }
    if (i >= n) break;
    const uint32_t c = p[i];
    if (c < 0x80) {
      o[k++] = static_cast<char16_t>(c);
      i++;
      continue;
    }
    uint32_t need, cp, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) need = 2, cp = c & 0x0f, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4) need = 3, cp = c & 0x07, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else {
      o[k++] = 0xfffd;
      i++;
      continue;
    }
    size_t j = i + 1;
    uint32_t seen = 0;
    while (seen < need && j < n && p[j] >= lo && p[j] <= hi) {
      cp = cp << 6 | (p[j] & 0x3f);
      lo = 0x80, hi = 0xbf;
      j++;
      seen++;
    }
    if (seen < need) {
      o[k++] = 0xfffd;  // the bytes that started a valid prefix are one replacement
      i = j;
      continue;
    }
    if (cp >= 0x10000) {
      o[k++] = static_cast<char16_t>(0xd800 + ((cp - 0x10000) >> 10));
      o[k++] = static_cast<char16_t>(0xdc00 + ((cp - 0x10000) & 0x3ff));
    } else {
      o[k++] = static_cast<char16_t>(cp);
    }
    i = j;
  }
  out.resize(k);
}

// The text of one batch element into buf; false when it is neither a string nor a Uint8Array.
inline bool ReadDocText(napi_env env, napi_value v, std::u16string& buf) {
  bool typed = false;
  if (napi_is_typedarray(env, v, &typed) == napi_ok && typed) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) return false;
    Utf8ToUtf16(static_cast<const uint8_t*>(data), length, buf);
    return true;
  }
  return ReadUtf16(env, v, buf);
}

// encodeDocs(..., texts: (string | Uint8Array)[] at info[at], endToken: number (-1: none) at
// info[at + 1], width: 2 | 4 at info[at + 2]) -> { tokens, lengths, units }, units = the
// texts' UTF-16 length in all (the stats' characters); encode(text, n, ids) appends one
// document's ids.
template <class Encode>
Napi::Value EncodeDocs(const Napi::CallbackInfo& info, size_t at, const char* name, Encode&& encode) {
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
  thread_local std::u16string buf;
  thread_local std::vector<uint32_t> ids;
  ids.clear();
  double units = 0;
  for (uint32_t d = 0; d < count; d++) {
    napi_value v;
    if (napi_get_element(env, texts, d, &v) != napi_ok || !ReadDocText(env, v, buf)) {
      Napi::TypeError::New(env, std::string(name) + ": element " + std::to_string(d) + " is not a string or a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const size_t before = ids.size();
    units += static_cast<double>(buf.size());
    encode(buf.data(), buf.size(), ids);
    if (end >= 0) ids.push_back(static_cast<uint32_t>(end));
    lengths[d] = static_cast<int32_t>(ids.size() - before);
  }
  Napi::Object out = Napi::Object::New(env);
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
      return env.Undefined();
    }
    out.Set("tokens", t);
  } else {
    Napi::Uint32Array t = Napi::Uint32Array::New(env, ids.size());
    if (!ids.empty()) std::memcpy(t.Data(), ids.data(), ids.size() * 4);
    out.Set("tokens", t);
  }
  out.Set("lengths", lengths);
  out.Set("units", Napi::Number::New(env, units));
  return out;
}

}  // namespace refinery::docs
