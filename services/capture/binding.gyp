{
  "targets": [{
    "target_name": "capture_addon",
    "sources": ["native/capture_addon.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-std=c++17", "-fexceptions"],
    "libraries": ["-lbpf", "-lelf", "-lz"]
  }]
}
