using NativeEngine.Runtime;

namespace NativeEngine.Tests;

/// <summary>One device for the whole test run (a context costs ~100 ms and hundreds of simulator threads).</summary>
public sealed class DeviceFixture : IDisposable
{
    /// <summary>Tests run on the CPU accelerator unless NATIVEENGINE_DEVICE says otherwise.</summary>
    public ComputeDevice Device { get; } = ComputeDevice.Create();

    /// <inheritdoc/>
    public void Dispose() => Device.Dispose();
}

/// <summary>Tests that use the device join this collection (and so never run two simulators at once).</summary>
[CollectionDefinition(Name)]
public sealed class DeviceCollection : ICollectionFixture<DeviceFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "device";
}
