# Cross build of rootwatch for arm64 (aarch64) on an x86_64 Debian, with Debian's cross compiler and
# the :arm64 libraries (multiarch): docs/lambda.md, "The other architecture" (verified there: the
# package it gives starts under qemu-aarch64, tests/integration/test_package_arm64.py).
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DRW_TESTS=OFF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_NM aarch64-linux-gnu-nm)
# pkg-config finds the arm64 libraries' .pc files, never the build machine's
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
