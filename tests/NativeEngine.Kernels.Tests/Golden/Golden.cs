using NativeEngine.Runtime;
using NativeEngine.Tensors;
using NativeEngine.Weights.SafeTensors;

namespace NativeEngine.Tests.Golden;

/// <summary>One PyTorch fixture file (tests/fixtures/kernels/&lt;op&gt;.safetensors): its tensors as host arrays or device tensors.</summary>
internal sealed class Golden(string op) : IDisposable
{
    private readonly SafeTensorsFile file = SafeTensorsFile.Open(Fixtures.Path($"kernels/{op}.safetensors"));

    /// <summary>The tensor's values.</summary>
    public float[] Host(string name) => file.ReadFloat32(name);

    /// <summary>The tensor's shape.</summary>
    public int[] ShapeOf(string name) => file.Get(name).Shape.Select(d => (int)d).ToArray();

    /// <summary>The tensor uploaded to the device (the caller disposes it).</summary>
    public Tensor Device(ComputeDevice d, string name) => Tensor.FromHost(d, new Shape(ShapeOf(name)), Host(name));

    public void Dispose() => file.Dispose();
}
