{
  "targets": [
    {
      "target_name": "p521_multiplier",
      "sources": ["native/libcrypto.c", "native/p521.c", "native/p521_field.c", "native/addon.c"],
      "cflags_c": ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration", "-fvisibility=hidden"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
