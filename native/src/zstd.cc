// zstd through the system's libzstd, found at run time (dlopen), for Parquet pages: every
// pass reads zstd Parquet, and the pure-JS decoder (fzstd) took ~20% of the tokenize pass
// (profiled, issue #16); every pass also writes it (src/formats/parquet-writer.ts), where
// parquet-wasm's Rust zstd in WASM was most of the exact_substring apply pass. The addon does not link libzstd, so it still loads
// where the library is absent; then zstdAvailable() is false and src/formats/parquet.ts
// keeps fzstd. Decompression is exact either way (the same bytes).
//
// JS API:
//   zstdAvailable() -> boolean
//   zstdDecompress(input: Uint8Array, outputLength: number) -> Uint8Array (exactly outputLength bytes)
//   zstdCompress(input: Uint8Array, level: number) -> Uint8Array (one zstd frame)
#include <dlfcn.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels.h"

namespace refinery::zstd {
namespace {

// The few entry points of zstd.h used here (stable ABI since zstd 1.0).
using DecompressFn = size_t (*)(void* dst, size_t dstCapacity, const void* src, size_t srcSize);
using IsErrorFn = unsigned (*)(size_t code);
using ErrorNameFn = const char* (*)(size_t code);
using CompressBoundFn = size_t (*)(size_t srcSize);
using CreateCCtxFn = void* (*)();
using FreeCCtxFn = size_t (*)(void* cctx);
using CompressCCtxFn = size_t (*)(void* cctx, void* dst, size_t dstCapacity, const void* src, size_t srcSize, int level);

struct Lib {
  DecompressFn decompress = nullptr;
  IsErrorFn isError = nullptr;
  ErrorNameFn errorName = nullptr;
  CompressBoundFn compressBound = nullptr;
  CreateCCtxFn createCCtx = nullptr;
  FreeCCtxFn freeCCtx = nullptr;
  CompressCCtxFn compressCCtx = nullptr;
};

const Lib& GetLib() {
  static Lib lib;
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* name : {"libzstd.so.1", "libzstd.so", "libzstd.1.dylib", "libzstd.dylib"}) {
      void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (!h) continue;
      Lib l;
      l.decompress = reinterpret_cast<DecompressFn>(dlsym(h, "ZSTD_decompress"));
      l.isError = reinterpret_cast<IsErrorFn>(dlsym(h, "ZSTD_isError"));
      l.errorName = reinterpret_cast<ErrorNameFn>(dlsym(h, "ZSTD_getErrorName"));
      l.compressBound = reinterpret_cast<CompressBoundFn>(dlsym(h, "ZSTD_compressBound"));
      l.createCCtx = reinterpret_cast<CreateCCtxFn>(dlsym(h, "ZSTD_createCCtx"));
      l.freeCCtx = reinterpret_cast<FreeCCtxFn>(dlsym(h, "ZSTD_freeCCtx"));
      l.compressCCtx = reinterpret_cast<CompressCCtxFn>(dlsym(h, "ZSTD_compressCCtx"));
      if (l.decompress && l.isError && l.errorName && l.compressBound && l.createCCtx && l.freeCCtx && l.compressCCtx) {
        lib = l;
        return;
      }
      dlclose(h);
    }
  });
  return lib;
}

Napi::Value AvailableJs(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), GetLib().decompress != nullptr); }

Napi::Value DecompressJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Lib& lib = GetLib();
  if (!lib.decompress) {
    Napi::Error::New(env, "zstdDecompress: libzstd not found").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "zstdDecompress(input: Uint8Array, outputLength: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto in = info[0].As<Napi::Uint8Array>();
  const double want = info[1].As<Napi::Number>().DoubleValue();
  if (!(want >= 0 && want <= 4294967295.0)) {
    Napi::RangeError::New(env, "zstdDecompress: bad output length").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t n = static_cast<size_t>(want);
  Napi::Uint8Array out = Napi::Uint8Array::New(env, n);
  const size_t got = lib.decompress(out.Data(), n, in.Data(), in.ByteLength());
  if (lib.isError(got)) {
    Napi::Error::New(env, std::string("zstd: ") + lib.errorName(got)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (got != n) {
    Napi::Error::New(env, "zstd: " + std::to_string(got) + " bytes, the page header says " + std::to_string(n)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return out;
}

// One compression context per thread (worker threads load the addon too), kept between calls:
// creating one allocates the level's match tables, which costs more than a small page.
struct CCtxHolder {
  void* cctx = nullptr;
  ~CCtxHolder() {
    if (cctx) GetLib().freeCCtx(cctx);
  }
};

// The output is written here (bound-sized) and copied into a JS array of its exact size, so
// the pages a writer holds take their compressed size, not the bound.
struct Scratch {
  CCtxHolder ctx;
  std::vector<uint8_t> out;
};

Napi::Value CompressJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Lib& lib = GetLib();
  if (!lib.compressCCtx) {
    Napi::Error::New(env, "zstdCompress: libzstd not found").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "zstdCompress(input: Uint8Array, level: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto in = info[0].As<Napi::Uint8Array>();
  const int level = info[1].As<Napi::Number>().Int32Value();
  thread_local Scratch scratch;
  if (!scratch.ctx.cctx) scratch.ctx.cctx = lib.createCCtx();
  if (!scratch.ctx.cctx) {
    Napi::Error::New(env, "zstdCompress: out of memory").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t bound = lib.compressBound(in.ByteLength());
  if (scratch.out.size() < bound) scratch.out.resize(bound);
  const size_t got = lib.compressCCtx(scratch.ctx.cctx, scratch.out.data(), bound, in.Data(), in.ByteLength(), level);
  if (lib.isError(got)) {
    Napi::Error::New(env, std::string("zstd: ") + lib.errorName(got)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array out = Napi::Uint8Array::New(env, got);
  std::copy(scratch.out.data(), scratch.out.data() + got, out.Data());
  return out;
}

}  // namespace
}  // namespace refinery::zstd

namespace refinery {
void InitZstd(Napi::Env env, Napi::Object exports) {
  exports.Set("zstdAvailable", Napi::Function::New(env, zstd::AvailableJs));
  exports.Set("zstdDecompress", Napi::Function::New(env, zstd::DecompressJs));
  exports.Set("zstdCompress", Napi::Function::New(env, zstd::CompressJs));
}
}  // namespace refinery
