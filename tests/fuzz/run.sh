#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of user files: AFL++ (Debian's afl++) driving the targets of
# tests/NativeEngine.Fuzz through SharpFuzz. One target at a time, each for a bounded time:
#
#   tests/fuzz/run.sh [--seconds N] [TARGET …]      (default: 180 s each, every target; `--list` prints them)
#
# Installs what it needs (afl++ via apt, the SharpFuzz.CommandLine 2.3.0 tool into .cache/fuzz/tools; idempotent),
# publishes the driver to .cache/fuzz/bin and instruments the project's parser assemblies and ImageSharp there.
# Seeds come from the driver (tests/fixtures and the project's own writers); the corpus grows in
# .cache/fuzz/out/<target> (gitignored) and is resumed on the next run. Every crashing or hanging input is copied to
# tests/fuzz/regressions/<target>/ (committed; the replay test runs them on every CI run). A line per target is
# appended to .cache/fuzz/results.tsv and printed: time, target, seconds and executions of this run, executions in
# all, corpus size, AFL map coverage, edges, crashes and hangs of this run, new regression files, stability.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo="$(pwd)"
work="$repo/.cache/fuzz"
seconds=180
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --list) list=1; shift ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# 1. tools
if ! command -v afl-fuzz >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
if [[ ! -x "$work/tools/sharpfuzz" ]]; then
  dotnet tool install --tool-path "$work/tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

# 2. build and instrument (a fresh publish each run: an assembly is instrumented once)
rm -rf "$work/bin"
dotnet publish tests/NativeEngine.Fuzz/NativeEngine.Fuzz.csproj -c Release -o "$work/bin" --nologo -v quiet >/dev/null
driver=(dotnet "$work/bin/NativeEngine.Fuzz.dll")
if [[ -n "${list:-}" ]]; then "${driver[@]}" list; exit 0; fi
[[ ${#targets[@]} -gt 0 ]] || mapfile -t targets < <("${driver[@]}" list | awk '{print $1}')
# Seeds first: instrumented code only runs inside the fuzzing loop (it writes AFL's shared coverage map).
for t in "${targets[@]}"; do
  rm -rf "$work/seeds/$t"
  "${driver[@]}" seeds "$t" "$work/seeds/$t"
done
for dll in NativeEngine.Weights NativeEngine.Models NativeEngine.Evaluation NativeEngine.Training SixLabors.ImageSharp; do
  "$work/tools/sharpfuzz" "$work/bin/$dll.dll" >/dev/null
done

# 3. fuzz each target for $seconds, then keep its crashes and hangs
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
       AFL_NO_UI=1 AFL_AUTORESUME=1 AFL_SHUFFLE_QUEUE=0
failed=()
since() { if (( $1 >= $2 )); then echo $(( $1 - $2 )); else echo "$1"; fi; }   # a counter that restarted counts from 0
stat() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$2"; }
for t in "${targets[@]}"; do
  seeds="$work/seeds/$t" out="$work/out/$t"
  mkdir -p "$out"
  s="$out/default/fuzzer_stats"
  # A resumed corpus carries its totals on: this run's numbers are the differences.
  read -r t0 e0 c0 h0 < <([[ -f "$s" ]] && echo "$(stat run_time "$s") $(stat execs_done "$s") $(stat saved_crashes "$s") $(stat saved_hangs "$s")" || echo "0 0 0 0")
  echo "=== $t: ${seconds}s from $(date -u +%H:%M:%S)"
  # -t: per-input limit in ms (a .NET restart after a kill costs ~1 s); -m none: the runtime maps far more than AFL's default
  afl-fuzz -V "$seconds" -t 5000 -m none -i "$seeds" -o "$out" -- "${driver[@]}" run "$t" > "$work/$t.afl.log" 2>&1 || {
    failed+=("$t"); echo "afl-fuzz failed for $t; the end of $work/$t.afl.log:" >&2; tail -n 20 "$work/$t.afl.log" >&2; }
  kept=0
  for kind in crash hang; do
    for f in "$out"/default/"${kind}"*s/id:*; do
      [[ -e "$f" ]] || continue
      mkdir -p "tests/fuzz/regressions/$t"
      dest="tests/fuzz/regressions/$t/$kind-$(sha1sum "$f" | cut -c1-12)"
      [[ -e "$dest" ]] || { cp "$f" "$dest"; kept=$((kept + 1)); }
    done
  done
  runtime=$(since "$(stat run_time "$s")" "$t0") execs=$(since "$(stat execs_done "$s")" "$e0")
  crashes=$(since "$(stat saved_crashes "$s")" "$c0") hangs=$(since "$(stat saved_hangs "$s")" "$h0")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$runtime" "$execs" \
    "$(stat execs_done "$s")" "$(stat corpus_count "$s")" "$(stat bitmap_cvg "$s")" "$(stat edges_found "$s")" \
    "$crashes" "$hangs" "$kept" "$(stat stability "$s")" >> "$work/results.tsv"
  echo "$t: this run $runtime s, $execs execs ($(stat execs_done "$s") in all), corpus $(stat corpus_count "$s"), map $(stat bitmap_cvg "$s"), edges $(stat edges_found "$s"), crashes $crashes, hangs $hangs, new regression files $kept"
done
if [[ ${#failed[@]} -gt 0 ]]; then echo "afl-fuzz failed for: ${failed[*]}" >&2; exit 1; fi
