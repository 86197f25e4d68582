#!/usr/bin/env bash
# Installs what building and testing Crossbar needs on a fresh Debian machine, as root.
# Idempotent: each step checks first and says whether it did anything.
#   cmake >= 3.30 (Aeron's C build; from PyPI when Debian's is older)
#   clang + libclang (bindgen for rusteron), uuid-dev and libbsd-dev (Aeron C driver),
#   protoc (tonic/prost), libpcap is NOT needed (we parse pcap files ourselves).
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }
need_root() { [ "$(id -u)" = 0 ] || { say "must run as root (apt-get)"; exit 1; }; }

version_ge() { # version_ge A B: true when A >= B
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

apt_packages=(clang libclang-dev uuid-dev libbsd-dev protobuf-compiler pkg-config)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  need_root
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages already present: ${apt_packages[*]}"
fi

cmake_min=3.30
have_cmake=""
if command -v cmake >/dev/null 2>&1; then
  have_cmake=$(cmake --version | head -n1 | awk '{print $3}')
fi
if [ -n "$have_cmake" ] && version_ge "$have_cmake" "$cmake_min"; then
  say "cmake $have_cmake already >= $cmake_min"
else
  say "cmake ${have_cmake:-absent} < $cmake_min: installing cmake from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'cmake>=3.30,<4'
  hash -r
  say "cmake now $(cmake --version | head -n1 | awk '{print $3}') at $(command -v cmake)"
fi

for t in rustfmt clippy; do
  if rustup component list --installed 2>/dev/null | grep -q "^$t"; then
    say "rustup component $t present"
  else
    say "adding rustup component $t"; rustup component add "$t"
  fi
done
say "done"
