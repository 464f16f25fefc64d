// The single Node-API addon of refinery. Kernels take and return typed arrays / Buffers
// in batches, never per-token callbacks (docs/architecture.md, "Native code").
#include "kernels.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  refinery::InitInfo(env, exports);
  refinery::InitBpe(env, exports);
  refinery::InitFastText(env, exports);
  refinery::InitGpt2(env, exports);
  refinery::InitMinhash(env, exports);
  refinery::InitNormalize(env, exports);
  refinery::InitZstd(env, exports);
  refinery::InitWinnow(env, exports);
  return exports;
}

NODE_API_MODULE(refinery_native, Init)
