using System.CommandLine;
using NativeEngine.Cli;
using NativeEngine.Cli.Commands;

// One root command; each subcommand lives in Commands/<Name>Command.cs and is a thin shell over the library.
var root = new RootCommand("nativeengine: EoMT-EXT road-anomaly segmentation on a pure C# (ILGPU) tensor engine");
root.Subcommands.Add(SelftestCommand.Create());
root.Subcommands.Add(ForwardCommand.Create());
root.Subcommands.Add(PtxCheckCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(MetricsCommand.Create());
root.Subcommands.Add(TrainHeadCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(InferCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
return Cli.Run(root, args);
