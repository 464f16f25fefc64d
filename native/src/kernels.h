// Each kernel file defines one Init function that adds its exports.
// addon.cc calls them all; adding a kernel = one new .cc file + one line here + one line there.
#pragma once
#include <napi.h>

#include <string>

namespace refinery {
// The UTF-16 units of a JS string into buf (resized to fit, lone surrogates kept); false
// when v is not a string. Shared by the kernels that take text.
inline bool ReadUtf16(napi_env env, napi_value v, std::u16string& buf) {
  size_t len = 0;
  if (napi_get_value_string_utf16(env, v, nullptr, 0, &len) != napi_ok) return false;
  buf.resize(len + 1);
  napi_get_value_string_utf16(env, v, buf.data(), len + 1, &len);
  buf.resize(len);
  return true;
}

void InitInfo(Napi::Env env, Napi::Object exports);
void InitBpe(Napi::Env env, Napi::Object exports);
void InitFastText(Napi::Env env, Napi::Object exports);
void InitGpt2(Napi::Env env, Napi::Object exports);
void InitMinhash(Napi::Env env, Napi::Object exports);
void InitNormalize(Napi::Env env, Napi::Object exports);
void InitSuffixArray(Napi::Env env, Napi::Object exports);
void InitZstd(Napi::Env env, Napi::Object exports);
}  // namespace refinery
