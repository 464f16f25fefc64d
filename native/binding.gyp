{
  "targets": [
    {
      "target_name": "refinery_native",
      "sources": [ "<!@(node -p \"require('fs').readdirSync('src').filter(f => f.endsWith('.cc')).map(f => 'src/' + f).join(' ')\")" ],
      "include_dirs": [ "<!(node -p \"require('node-addon-api').include_dir\")" ],
      "defines": [ "NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS" ],
      # -Wno-maybe-uninitialized: GCC 12 flags its own AVX-512 headers (avx512fintrin.h,
      # `_mm512_undefined_*` reads __Y on purpose) wherever an intrinsic is inlined.
      "cflags_cc": [ "-std=c++17", "-O3", "-march=x86-64-v2", "-fno-exceptions", "-ffp-contract=off", "-Wno-maybe-uninitialized" ],
      "cflags_cc!": [ "-fno-exceptions", "-std=gnu++17" ],
      # dlopen (zstd.cc): in libc since glibc 2.34, in libdl before.
      "libraries": [ "-ldl" ]
    }
  ]
}
