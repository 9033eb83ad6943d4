using NativeEngine.WeightsTool;

return WeightsToolApp.Run(args, Console.Out, Console.Error);
