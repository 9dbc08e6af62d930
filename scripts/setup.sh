#!/usr/bin/env bash
# Installs every Debian package Ferry needs to build, test and benchmark.
# Idempotent: when everything is present it only runs dpkg-query (well under a second).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache clang-14 clang-format clang-tidy pkg-config
  # libraries
  libboost-dev libsimdjson-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libsqlite3-dev libpq-dev libarchive-dev libsodium-dev libssl-dev libzstd-dev
  libxgboost-dev xgboost
  # tests and benchmarks: real peers and real servers
  libgtest-dev libgmock-dev libbenchmark-dev zstd curl
  python3-xgboost python3-sklearn python3-pandas python3-numpy python3-scipy
  postgresql prometheus wrk nginx-light python3-fastapi python3-uvicorn
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
