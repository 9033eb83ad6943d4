#!/usr/bin/env bash
# Packs everything a GPU machine needs to run benchmarks/gpu/run.sh when it has an NVIDIA driver but no .NET at all:
# the published CLI (framework-dependent), the .NET runtime it runs on (the `dotnet` host, host/fxr and
# shared/Microsoft.NETCore.App/<version> from this machine's SDK install) and run.sh itself, plus COMMIT (the commit the
# build came from, with "-dirty" when the tree had changes).
#
# Usage (on the development machine, in the repository):  benchmarks/gpu/pack.sh [OUT.tar.gz]
# Then on the GPU machine:  tar xzf nativeengine-gpu-<commit>.tar.gz && cd nativeengine-gpu && ./run.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
commit="$(git rev-parse --short=7 HEAD)"
[[ -z "$(git status --porcelain --untracked-files=no)" ]] || commit="$commit-dirty"
out="${1:-$repo/out/nativeengine-gpu-$commit.tar.gz}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/nativeengine-gpu"
mkdir -p "$pkg"

echo "pack: publishing the CLI (Release) ..." >&2
dotnet publish src/NativeEngine.Cli/NativeEngine.Cli.csproj -c Release -o "$pkg/cli" --nologo -v quiet >&2

# The runtime the CLI targets: the dotnet root of the SDK in use, Microsoft.NETCore.App of the CLI's major version.
dotnet_exe="$(command -v dotnet)"
dotnet_root="$(dirname "$(readlink -f "$dotnet_exe")")"
major="$(sed -n 's/.*"tfm": "net\([0-9]*\)\..*/\1/p' "$pkg/cli/nativeengine.runtimeconfig.json" | head -n 1)"
runtime="$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/"$major".* | sort -V | tail -n 1)"
[[ -d "$runtime" ]] || { echo "pack: no Microsoft.NETCore.App $major.* under $dotnet_root/shared" >&2; exit 1; }
mkdir -p "$pkg/dotnet/shared/Microsoft.NETCore.App"
cp "$dotnet_root/dotnet" "$pkg/dotnet/"
cp -r "$dotnet_root/host" "$pkg/dotnet/"
cp -r "$runtime" "$pkg/dotnet/shared/Microsoft.NETCore.App/"
echo "pack: runtime $(basename "$runtime") from $dotnet_root" >&2

cp benchmarks/gpu/run.sh "$pkg/"
echo "$commit" > "$pkg/COMMIT"
mkdir -p "$(dirname "$out")"
tar -C "$stage" -czf "$out" nativeengine-gpu
echo "pack: wrote $out ($(du -h "$out" | cut -f1))" >&2
echo "$out"
