using NativeEngine.Runtime;

namespace NativeEngine.Tests;

/// <summary>One device for the whole test run (creating a context per test costs ~100 ms and thousands of threads).</summary>
public sealed class DeviceFixture : IDisposable
{
    /// <summary>Tests run on the CPU accelerator unless NATIVEENGINE_DEVICE says otherwise.</summary>
    public ComputeDevice Device { get; } = ComputeDevice.Create();

    public void Dispose() => Device.Dispose();
}

[CollectionDefinition(Name)]
public sealed class DeviceCollection : ICollectionFixture<DeviceFixture>
{
    public const string Name = "device";
}
