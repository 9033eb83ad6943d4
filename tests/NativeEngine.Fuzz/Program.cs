using NativeEngine.Fuzz;

// NativeEngine.Fuzz list | seeds NAME DIR | run NAME | replay NAME FILE…   (driven by tests/fuzz/run.sh)
//   run:    the AFL++ loop (SharpFuzz, out of process: the fuzzed code runs in a child that is restarted after a stack
//           overflow or a hang, so those become findings instead of ending the run); input on stdin; a disallowed
//           exception is a crash.
//   replay: each file once, printing "ok", "refused: <type>: <message>" or the crash; exit 1 on any crash.
using var targets = new FuzzTargets();
string Usage() => "usage: NativeEngine.Fuzz list | seeds NAME DIR | run NAME | replay NAME FILE…\ntargets: "
    + string.Join(", ", targets.All.Select(t => t.Name));
if (args.Length == 0) { Console.Error.WriteLine(Usage()); return 2; }
switch (args[0])
{
    case "list":
        foreach (var t in targets.All)
            Console.WriteLine($"{t.Name,-18} {t.Entry}; refusals: {string.Join(", ", t.Rejections.Select(r => r.Name))}");
        return 0;
    case "seeds" when args.Length == 3:
    {
        Directory.CreateDirectory(args[2]);
        foreach (var (name, data) in targets.Get(args[1]).Seeds()) File.WriteAllBytes(Path.Combine(args[2], name), data);
        return 0;
    }
    case "run" when args.Length == 2:
    {
        var target = targets.Get(args[1]);
        var buffer = new byte[FuzzTarget.MaxInputBytes + 1];
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            int n = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            target.Run(buffer.AsSpan(0, n).ToArray());
        });
        return 0;
    }
    case "replay" when args.Length >= 3:
    {
        var target = targets.Get(args[1]);
        int crashes = 0;
        foreach (var file in args.Skip(2))
        {
            try
            {
                var refusal = target.Run(File.ReadAllBytes(file));
                Console.WriteLine($"{file}: {(refusal is null ? "ok" : $"refused: {refusal.GetType().Name}: {refusal.Message.ReplaceLineEndings(" ")}")}");
            }
            catch (Exception e)
            {
                crashes++;
                Console.WriteLine($"{file}: CRASH {e}");
            }
        }
        return crashes == 0 ? 0 : 1;
    }
    default:
        Console.Error.WriteLine(Usage());
        return 2;
}
