// Each kernel file defines one Init function that adds its exports.
// addon.cc calls them all; adding a kernel = one new .cc file + one line here + one line there.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

namespace refinery {
// splitmix64 / murmur3 finalizer: spreads a 64-bit value (MinHash keys, winnowing grams).
inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

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
void InitZstd(Napi::Env env, Napi::Object exports);
void InitWinnow(Napi::Env env, Napi::Object exports);
}  // namespace refinery
