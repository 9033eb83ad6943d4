#!/usr/bin/env bash
# The host backend's EoMT forward beside ONNX Runtime, back to back on one machine (issue 10 item 6):
#   1. `nativeengine bench forward --device cpu --config C`: ms, GFLOP/s, % of this CPU's measured FMA peak, and the
#      per-family profile (wall ms, CPU-ms, % of roofline);
#   2. benchmarks/OrtAnchor: ONNX Runtime 1.31.1 and the engine alternating run by run in one process, same threads,
#      semantic maps compared, min and median of each, and the ratio engine / ORT.
#
#   benchmarks/forward-vs-ort.sh [S-640 B-640 …]      (ITERATIONS=5 by default; needs /usr/bin/python3 with torch once
#                                                      per config to export benchmarks/onnx/eomt-<config>.onnx)
# Save the output under benchmarks/results/ (see benchmarks/README.md). On a shared machine keep the load steady for
# the whole run: the anchor alternates, so both runtimes see the same load, and the CPU-ms columns are the steady ones.
set -euo pipefail
cd "$(dirname "$0")/.."
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(S-640 B-640)
iterations=${ITERATIONS:-5}
dotnet build src/NativeEngine.Cli/NativeEngine.Cli.csproj -c Release -v q -nologo >/dev/null
dotnet build benchmarks/OrtAnchor/OrtAnchor.csproj -c Release -v q -nologo >/dev/null
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB"
echo "commit: $(git rev-parse HEAD)$(git diff --quiet HEAD -- src kernels benchmarks || echo ' (dirty)'), $(date -u '+%Y-%m-%d %H:%M UTC')"
for c in "${configs[@]}"; do
    [ -f "benchmarks/onnx/eomt-$c.onnx" ] || /usr/bin/python3 benchmarks/onnx/export_eomt.py "$c"
    echo
    echo "## $c, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    dotnet src/NativeEngine.Cli/bin/Release/net10.0/nativeengine.dll bench forward --device cpu --config "$c" --iterations "$iterations"
    echo
    dotnet benchmarks/OrtAnchor/bin/Release/net10.0/OrtAnchor.dll --config "$c" --iterations "$iterations" 2>&1
done
