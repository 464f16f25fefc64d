// Build information, so `refinery --version` and tests can tell which addon is loaded.
#include "kernels.h"

namespace refinery {
void InitInfo(Napi::Env env, Napi::Object exports) {
  Napi::Object info = Napi::Object::New(env);
  info.Set("compiler", Napi::String::New(env, __VERSION__));
  info.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  exports.Set("buildInfo", info);
}
}  // namespace refinery
