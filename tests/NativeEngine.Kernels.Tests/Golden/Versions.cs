using NativeEngine.Kernels;

namespace NativeEngine.Tests.Golden;

/// <summary>Theory data that runs a golden on every version of an op (a new version joins the goldens by itself).</summary>
public static class Versions
{
    /// <summary>(case, "op/version") for every case × every float32 version of <paramref name="op"/> (the goldens are
    /// float32; the tensor-core versions serve tf32/bf16/fp16 only and have their precision rows in the conformance table).</summary>
    public static TheoryData<string, string> Cross(IOp op, params string[] cases)
    {
        var data = new TheoryData<string, string>();
        foreach (var c in cases)
            foreach (var v in op.Versions.Where(v => v.Kind != VersionKind.TensorCore))
                data.Add(c, v.FullName);
        return data;
    }

    /// <summary>The versions of <paramref name="op"/> that run on <paramref name="device"/> (host ones need host memory).</summary>
    public static IEnumerable<OpVersion> On(IOp op, NativeEngine.Runtime.ComputeDevice device) => op.Versions.Where(v => v.RunsOn(device));
}
