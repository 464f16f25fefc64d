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
#include "unicode_class.h"

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

// ---- The same batch as UTF-8, for bpe.cc: the kernel scans and hashes a document's bytes as
// they are, with no UTF-16 round trip (issue #16).

// Zero bytes kept readable after a document's last byte: the kernel loads whole words past a piece.
constexpr size_t kUtf8Slack = 32;

// True when p[0, n) is UTF-8 the WHATWG decoder takes as it is (the ranges of Utf8ToUtf16);
// units = its length in UTF-16 code units.
inline bool ValidUtf8(const uint8_t* p, size_t n, double& units) {
  size_t i = 0, extra = 0;  // bytes past one per character, less one per 4-byte character (2 units)
  while (i < n) {
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    const uint32_t c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    uint32_t need, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) need = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4) need = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else return false;
    if (i + need >= n || p[i + 1] < lo || p[i + 1] > hi) return false;
    for (uint32_t k = 2; k <= need; k++)
      if ((p[i + k] & 0xc0) != 0x80) return false;
    extra += need == 3 ? 2 : need;
    i += need + 1;
  }
  units = static_cast<double>(n - extra);
  return true;
}

// One batch element as valid UTF-8 in buf[0, n) followed by kUtf8Slack zero bytes: a string
// as V8 writes it (a lone surrogate as U+FFFD, what TextEncoder makes of it), a Uint8Array as
// TextDecoder would read it (invalid bytes U+FFFD, by way of Utf8ToUtf16). units = the text's
// UTF-16 length. False when the element is neither.
inline bool ReadDocUtf8(napi_env env, napi_value v, std::vector<uint8_t>& buf, size_t& n, double& units) {
  bool typed = false;
  if (napi_is_typedarray(env, v, &typed) == napi_ok && typed) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) return false;
    const uint8_t* p = static_cast<const uint8_t*>(data);
    if (ValidUtf8(p, length, units)) {
      if (buf.size() < length + kUtf8Slack) buf.resize(length + kUtf8Slack);
      if (length) std::memcpy(buf.data(), p, length);
      n = length;
    } else {
      thread_local std::u16string wide;
      Utf8ToUtf16(p, length, wide);
      units = static_cast<double>(wide.size());
      if (buf.size() < 3 * wide.size() + kUtf8Slack) buf.resize(3 * wide.size() + kUtf8Slack);
      size_t b = 0;
      for (size_t k = 0; k < wide.size(); k++) {
        uint32_t c = wide[k];
        if (c - 0xd800u < 0x400u) {  // the decoder writes surrogates only in pairs
          c = 0x10000 + ((c - 0xd800) << 10) + (wide[k + 1] - 0xdc00u);
          k++;
        }
        b += uclass::PutUtf8(buf.data() + b, c);
      }
      n = b;
    }
  } else {
    size_t len = 0;
    if (napi_get_value_string_utf16(env, v, nullptr, 0, &len) != napi_ok) return false;
    units = static_cast<double>(len);
    if (buf.size() < 3 * len + kUtf8Slack) buf.resize(3 * len + kUtf8Slack);
    if (napi_get_value_string_utf8(env, v, reinterpret_cast<char*>(buf.data()), 3 * len + 1, &n) != napi_ok) return false;
  }
  std::memset(buf.data() + n, 0, kUtf8Slack);
  return true;
}

// ids (every document's, each followed by the end token) and lengths as the encodeDocs result
// { tokens, lengths, units } at width 2 or 4 (2: every id must fit 16 bits).
inline Napi::Value DocsResult(Napi::Env env, const std::vector<uint32_t>& ids, Napi::Int32Array lengths, double units, uint32_t width, const char* name) {
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

// EncodeDocs with each document as valid UTF-8 (ReadDocUtf8): encode(p, n, ids) appends the
// ids of p[0, n), which has kUtf8Slack zero bytes after it.
template <class Encode>
Napi::Value EncodeDocsUtf8(const Napi::CallbackInfo& info, size_t at, const char* name, Encode&& encode) {
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
  thread_local std::vector<uint8_t> buf;
  thread_local std::vector<uint32_t> ids;
  ids.clear();
  double units = 0;
  for (uint32_t d = 0; d < count; d++) {
    napi_value v;
    size_t n = 0;
    double u = 0;
    if (napi_get_element(env, texts, d, &v) != napi_ok || !ReadDocUtf8(env, v, buf, n, u)) {
      Napi::TypeError::New(env, std::string(name) + ": element " + std::to_string(d) + " is not a string or a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const size_t before = ids.size();
    units += u;
    encode(buf.data(), n, ids);
    if (end >= 0) ids.push_back(static_cast<uint32_t>(end));
    lengths[d] = static_cast<int32_t>(ids.size() - before);
  }
  return DocsResult(env, ids, lengths, units, width, name);
}

}  // namespace refinery::docs
