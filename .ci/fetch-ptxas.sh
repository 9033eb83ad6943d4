#!/usr/bin/env bash
# Fetches ptxas, cuobjdump and nvdisasm (CUDA 11.8) for the offline PTX check, without touching the system's apt setup.
#
# How: copy this machine's own Debian apt source entry (deb822, /etc/apt/sources.list.d/debian.sources) into a
# private apt configuration under the cache folder with `Components: non-free`, `apt-get update` that private list,
# `apt-get download nvidia-cuda-toolkit` (Debian 12: 11.8.89) and `dpkg -x` it. The three tools need only libc.
# Nothing is installed; /etc/apt is only read. Idempotent: a second run finds the unpacked ptxas and stops.
#
# Usage: .ci/fetch-ptxas.sh            (cache: <repo>/.cache/cuda, or $NATIVEENGINE_CUDA_CACHE)
# Prints the path of ptxas on its last line of stdout.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${NATIVEENGINE_CUDA_CACHE:-$repo/.cache/cuda}"
root="$cache/root"
say() { echo "fetch-ptxas: $*" >&2; }

find_ptxas() {
  # Debian 12's package ships the binaries in usr/bin (nvcc's helpers live under usr/lib/nvidia-cuda-toolkit).
  local p
  for p in "$root/usr/bin/ptxas" "$root/usr/lib/nvidia-cuda-toolkit/bin/ptxas"; do
    if [[ -x "$p" && ! -L "$p" ]]; then echo "$p"; return 0; fi
  done
  p="$(find "$root" -type f -name ptxas -perm -u+x 2>/dev/null | head -n 1 || true)"
  [[ -n "$p" ]] && echo "$p"
}

if [[ -d "$root" ]] && p="$(find_ptxas)" && [[ -n "$p" ]]; then
  say "already unpacked"
  "$p" --version | tail -n 1 >&2
  echo "$p"
  exit 0
fi

src=/etc/apt/sources.list.d/debian.sources
[[ -r "$src" ]] || { say "cannot read $src (expected a Debian 12 machine with a deb822 source entry)"; exit 1; }
command -v apt-get >/dev/null || { say "apt-get not found (expected Debian 12)"; exit 1; }
command -v dpkg >/dev/null || { say "dpkg not found (expected Debian 12)"; exit 1; }

apt="$cache/apt"
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb"
# Same mirror, suites and key as the machine's entry; only the components change. non-free-firmware is not needed.
sed -E 's/^Components:.*/Components: non-free/' "$src" > "$apt/sources.list.d/nativeengine-non-free.sources"
say "private apt source (copied from $src):"
sed 's/^/    /' "$apt/sources.list.d/nativeengine-non-free.sources" >&2

opts=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$apt/sources.list.d"
  -o "Dir::State::Lists=$apt/lists"
  -o "Dir::Cache=$apt/cache"
  -o "Dir::State::status=/var/lib/dpkg/status"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Retries=3"
)
say "apt-get update (private lists under $apt)"
apt-get "${opts[@]}" -q update >&2

say "apt-get download nvidia-cuda-toolkit"
( cd "$apt/deb" && rm -f ./*.deb && apt-get "${opts[@]}" -q download nvidia-cuda-toolkit >&2 )
deb="$(ls "$apt/deb"/nvidia-cuda-toolkit_*.deb | head -n 1)"
say "unpacking $(basename "$deb") ($(du -h "$deb" | cut -f1))"
rm -rf "$root.tmp" && mkdir -p "$root.tmp"
dpkg -x "$deb" "$root.tmp"
rm -rf "$root" && mv "$root.tmp" "$root"
rm -f "$deb"

p="$(find_ptxas)" || true
[[ -n "${p:-}" ]] || { say "no ptxas inside $(basename "$deb")"; exit 1; }
"$p" --version | tail -n 1 >&2
dir="$(dirname "$p")"
for tool in cuobjdump nvdisasm; do
  [[ -x "$dir/$tool" ]] && say "$tool: $dir/$tool" || say "warning: $tool not found beside ptxas"
done
echo "$p"
