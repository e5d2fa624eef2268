# Cross-compiles trine (the -DTRINE_JIT=OFF runtime) for aarch64 Linux with Debian's toolchain
# (g++-aarch64-linux-gnu) against the arm64 libraries of a multiarch install
# (libsqlite3-dev:arm64 libfmt-dev:arm64 libpcre2-dev:arm64; scripts/install-deps.sh).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# The multiarch libraries live under /usr/lib/aarch64-linux-gnu; headers and header-only
# packages (nlohmann-json, CLI11) are shared with the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
