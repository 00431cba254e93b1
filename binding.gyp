{
  "variables": {
    "convkit_cflags": ["<!@(node native/sources.js cflags)"]
  },
  "target_defaults": {
    "cflags!": ["-fno-exceptions", "-O2", "-O3"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++20"],
    "cflags_cc": ["<@(convkit_cflags)"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"]
  },
  "targets": [
    {
      "target_name": "convkit_isa_generic",
      "type": "static_library",
      "sources": ["<!@(node native/sources.js isa-sources generic)"]
    },
    {
      "target_name": "convkit",
      "dependencies": ["convkit_isa_generic"],
      "sources": ["<!@(node native/sources.js baseline)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "ldflags": ["-fopenmp", "-Wl,-rpath,'$$ORIGIN'"],
      "conditions": [
        ["target_arch=='x64'", {"dependencies": ["convkit_isa_avx512", "convkit_isa_avx2"]}]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "convkit_isa_avx512",
          "type": "static_library",
          "sources": ["<!@(node native/sources.js isa-sources avx512)"],
          "cflags_cc": ["<!@(node native/sources.js isa-flags avx512)"]
        },
        {
          "target_name": "convkit_isa_avx2",
          "type": "static_library",
          "sources": ["<!@(node native/sources.js isa-sources avx2)"],
          "cflags_cc": ["<!@(node native/sources.js isa-flags avx2)"]
        }
      ]
    }]
  ]
}
