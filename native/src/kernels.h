// Each kernel file defines one Init function that adds its exports.
// addon.cc calls them all; adding a kernel = one new .cc file + one line here + one line there.
#pragma once
#include <napi.h>

namespace refinery {
void InitInfo(Napi::Env env, Napi::Object exports);
void InitFastText(Napi::Env env, Napi::Object exports);
void InitGpt2(Napi::Env env, Napi::Object exports);
void InitMinhash(Napi::Env env, Napi::Object exports);
void InitNormalize(Napi::Env env, Napi::Object exports);
void InitSuffixArray(Napi::Env env, Napi::Object exports);
}  // namespace refinery
