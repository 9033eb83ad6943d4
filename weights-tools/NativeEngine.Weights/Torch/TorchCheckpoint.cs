namespace NativeEngine.Weights.Torch;

/// <summary>PyTorch zip checkpoints (placeholder until the restricted unpickler lands).</summary>
public static class TorchCheckpoint
{
    /// <summary>Opens a PyTorch checkpoint.</summary>
    public static ITensorSource Open(string path) => throw new CheckpointException(path, "PyTorch checkpoints are not supported yet");
}
