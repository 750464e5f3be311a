#!/usr/bin/env bash
# Installs the Debian packages EdgeSync needs to build, test and run.
# Idempotent and quiet when everything is already there. Debian 12, as root.
#
#   ./scripts/bootstrap.sh          build, test and run
#   ./scripts/bootstrap.sh --fuzz   also clang 16 and its libFuzzer runtime
#                                   (scripts/fuzz.sh; g++ has no libFuzzer)
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libcli11-dev libpqxx-dev libpq-dev libhiredis-dev libcurl4-openssl-dev
  nlohmann-json3-dev libsodium-dev libfmt-dev libspdlog-dev
  libgtest-dev libgmock-dev libboost-dev libboost-system-dev
  libsqlite3-dev libsystemd-dev
  postgresql-15 postgresql-client-15 redis-server redis-tools
  curl procps iproute2
  systemd  # systemd-analyze: the tests verify the agent's unit files
  dpkg-dev  # dpkg-shlibdeps: cpack computes the .deb's Depends (tests/package)
)

if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang-16 libclang-rt-16-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap: missing packages: ${missing[*]}" >&2
  echo "bootstrap: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "bootstrap: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Debian's postgresql-common creates and starts a cluster on install; we run
# our own private one instead, so ask it not to.
mkdir -p /etc/postgresql-common
if [ ! -f /etc/postgresql-common/createcluster.conf ] ||
   ! grep -q '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf; then
  echo "create_main_cluster = false" >> /etc/postgresql-common/createcluster.conf
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done"
