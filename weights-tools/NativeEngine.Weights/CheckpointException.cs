namespace NativeEngine.Weights;

/// <summary>
/// A checkpoint was refused: malformed or hostile data, an unsupported format, or tensors that do not fit the
/// expected architecture. The message names the file and says everything that was wrong, in one place.
/// </summary>
public sealed class CheckpointException : IOException
{
    /// <summary>Creates the exception; the message is prefixed with the path.</summary>
    public CheckpointException(string path, string message, Exception? inner = null)
        : base($"{path}: {message}", inner)
    {
        FilePath = path;
        Reason = message;
    }

    /// <summary>The file or folder that was refused.</summary>
    public string FilePath { get; }

    /// <summary>The message without the path prefix.</summary>
    public string Reason { get; }
}
