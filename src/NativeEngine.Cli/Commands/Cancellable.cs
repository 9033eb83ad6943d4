namespace NativeEngine.Cli.Commands;

/// <summary>Ctrl+C during eval/infer/demo: one line, exit 130 (shell convention); files already written are complete (atomic writes).</summary>
internal static class Cancellable
{
    public const int Cancelled = 130;

    public static Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            return action();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine("nativeengine: cancelled; files already written are complete (rerun eval with the same --out to resume)");
            return Task.FromResult(Cancelled);
        }
    }
}
