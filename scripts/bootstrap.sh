#!/usr/bin/env bash
# Installs meshc's build dependencies from Debian 12 packages (idempotent) and builds everything.
# Usage: scripts/bootstrap.sh [build-dir]   (default: build, Release)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PACKAGES=(cmake ninja-build g++ pkg-config python3 python3-yaml
  libyaml-cpp-dev libcli11-dev libfmt-dev libvalijson-dev nlohmann-json3-dev catch2 libre2-dev
  llvm-19-dev libzstd-dev clang-19 libclang-rt-19-dev graphviz
  libxxhash-dev libboost1.81-dev libgoogle-perftools-dev zlib1g-dev curl
  libssl-dev openssl iptables iproute2)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR"
