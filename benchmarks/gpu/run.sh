#!/usr/bin/env bash
# One command for the day a GPU is lent: selftest on CUDA, bench kernels (every op, the tensor-core ops in every
# precision: tf32/bf16/fp16 GEMM v3, bf16/fp16 attention v3), then bench forward for S-640, B-640, L-640, B-1024 and
# L-1024 with f32, bf16 and f16 weights, each printing % of roofline per kernel family. Everything goes to one results
# file named <date>_<card>_<driver>_<commit>_gpu.md (benchmarks/README.md, "Recording results").
#
# Runs from a repository checkout (builds the CLI once with the SDK) or from the unpacked tarball of
# benchmarks/gpu/pack.sh (a published CLI in cli/ and a private .NET runtime in dotnet/: no .NET needed on the machine).
#
# Usage: run.sh [--out DIR] [--quick] [--configs "S-640 B-640 …"] [--precisions "fp32 tf32 bf16 fp16"]
#   --quick   one forward per configuration and precision, shorter kernel batches (a smoke run)
# Exit status: non-zero when any step fails; the results file keeps every step's output either way.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
args="$*"
configs="S-640 B-640 L-640 B-1024 L-1024"
precisions="fp32 tf32 bf16 fp16"
out=""
iterations=5
seconds=0.2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --quick) iterations=1; seconds=0.05; shift ;;
    --configs) configs="$2"; shift 2 ;;
    --precisions) precisions="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# Where the CLI and .NET come from: the tarball layout, else a checkout (build once).
if [[ -f "$here/cli/nativeengine.dll" ]]; then
  cli=("$here/dotnet/dotnet" "$here/cli/nativeengine.dll")
  [[ -x "$here/dotnet/dotnet" ]] || cli=(dotnet "$here/cli/nativeengine.dll")
  commit="$(cat "$here/COMMIT" 2>/dev/null || echo unknown)"
  results="${out:-$here/results}"
else
  repo="$(cd "$here/../.." && pwd)"
  command -v dotnet >/dev/null || { echo "run.sh: no dotnet on PATH and no packed cli/ beside run.sh: run benchmarks/gpu/pack.sh on a machine with the SDK" >&2; exit 1; }
  echo "run.sh: building the CLI (Release) ..." >&2
  dotnet build "$repo/src/NativeEngine.Cli/NativeEngine.Cli.csproj" -c Release --nologo -v quiet >&2 || exit 1
  cli=(dotnet "$repo/src/NativeEngine.Cli/bin/Release/net10.0/nativeengine.dll")
  commit="$(git -C "$repo" rev-parse --short=7 HEAD)"
  [[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ]] || commit="$commit-dirty"
  results="${out:-$repo/benchmarks/results}"
fi
export DOTNET_ROOT="$(dirname "${cli[0]}")"
[[ "${cli[0]}" == dotnet ]] && unset DOTNET_ROOT

card="unknown-card"; driver="unknown-driver"
if command -v nvidia-smi >/dev/null; then
  card="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1)"
  driver="$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -n 1)"
fi
slug() { echo "$1" | tr -cs 'A-Za-z0-9.' '-' | sed 's/^-*//; s/-*$//'; }
mkdir -p "$results"
file="$results/$(date -u +%Y-%m-%d)_$(slug "$card")_driver-$(slug "$driver")_${commit}_gpu.md"
status=0

{
  echo "# GPU run: $card, driver $driver, commit $commit"
  echo
  echo "- date (UTC): $(date -u '+%Y-%m-%d %H:%M')"
  echo "- host: $(hostname)"
  echo "- command: benchmarks/gpu/run.sh $args"
  echo "- CLI: ${cli[*]}"
  echo
} > "$file"

last="$(mktemp)"
trap 'rm -f "$last"' EXIT
step() { # step TITLE ARGS... : runs the CLI, tees its output into the results file inside a code block (and $last)
  local title="$1"; shift
  echo "run.sh: $title" >&2
  { echo "## $title"; echo; echo '```'; } >> "$file"
  "${cli[@]}" "$@" 2>&1 | tee "$last" | tee -a "$file"
  local rc=${PIPESTATUS[0]}
  { echo '```'; echo; [[ $rc -eq 0 ]] || echo "**exit status $rc**"; echo; } >> "$file"
  [[ $rc -eq 0 ]] || status=1
}

step "selftest --device cuda" selftest --device cuda
if grep -q "no CUDA device was found" "$last"; then
  echo "run.sh: no CUDA device on this machine: stopping (results so far in $file)" >&2
  exit 1
fi
step "bench kernels --device cuda" bench kernels --device cuda --seconds "$seconds"
summary=()
for c in $configs; do
  for t in $precisions; do
    step "bench forward --config $c --precision $t" bench forward --device cuda --config "$c" --precision "$t" --iterations "$iterations"
    line="$(grep -E '^time: ' "$last" | tail -n 1)"
    summary+=("| $c | $t | ${line:+${line#time: }}${line:-failed (see above)} |")
  done
done

{
  echo "## Summary: bench forward"
  echo
  echo "| config | weights | time |"
  echo "|---|---|---|"
  printf '%s\n' "${summary[@]}"
  echo
  echo "% of roofline per kernel family: the \"share per kernel family\" table under each bench forward; % of the"
  echo "FP32 / TF32 / BF16 peak per kernel: the %peak column of bench kernels."
} >> "$file"
echo "run.sh: wrote $file" >&2
exit $status
