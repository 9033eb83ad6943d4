namespace NativeEngine.Kernels;

/// <summary>
/// The op table: every op of the engine, once, in reading order. Each row is defined in its kernel file (the op's
/// math, cost functions, reference and versions beside the kernels); `selftest`, `bench kernels`, `ptx-check` and the
/// conformance tests enumerate this list, and tests check it against the generated <see cref="KernelCatalog"/>.
/// </summary>
public static class OpTable
{
    /// <summary>Every op.</summary>
    public static IReadOnlyList<IOp> All { get; } =
    [
        // Image → tokens
        Imaging.NormalizeRgbOp,
        PatchEmbed.Op,
        Tokens.AssembleOp,
        Tokens.InsertQueriesOp,
        Tokens.SliceOp,
        Tokens.ToFeatureMapOp,
        // The ViT blocks
        Gemm.Op,
        HalfConvert.Op,
        LayerNorm.Op,
        LayerNormLinear.Op,
        Attention.Op,
        Attention.MaskOp,
        Attention.PatchMaskedOp,
        Attention.BitsOp,
        Softmax.Op,
        Activation.GeluErfOp,
        Activation.SiLUMulOp,
        Activation.SigmoidOp,
        Activation.ReluOp,
        Elementwise.AddOp,
        Elementwise.MulOp,
        Elementwise.BiasOp,
        LayerScale.Op,
        // EoMT's heads and the semantic map
        ConvTranspose2x2.Op,
        DepthwiseConv3x3.Op,
        LayerNorm2d.Op,
        MaskLogits.Op,
        Bilinear.Op,
        SemanticMap.Op,
        SemanticMap.UpsampledOp,
        // Anomaly statistics, the head, window stitching
        UncertaintyStats.StatsOp,
        AnomalyScores.BaselineOp,
        AnomalyHeadKernels.HeadOp,
        AnomalyHeadKernels.AccumulateOp,
        AnomalyHeadKernels.ScoreOp,
        AnomalyHeadKernels.AverageOp,
        Imaging.StitchWindowsOp,
        // Training the head
        TrainLinear.ForwardOp,
        TrainLinear.GradInputOp,
        TrainLinear.GradWeightOp,
        TrainLinear.ColumnSumsOp,
        TrainOps.ReluBackwardOp,
        TrainOps.DropoutOp,
        TrainOps.ToPixelsOp,
        TrainOps.ConcatColumnsOp,
        TrainOps.SliceColumnsOp,
        TrainOps.UpsampleBackwardOp,
        TrainNorm.ForwardOp,
        TrainNorm.BackwardOp,
        TrainLoss.BceOp,
        TrainOptim.AdamOp,
        TrainOptim.SumSquaresOp,
    ];

    /// <summary>The op named <paramref name="name"/>; throws listing the names.</summary>
    public static IOp Find(string name) => All.FirstOrDefault(o => o.Name == name)
        ?? throw new ArgumentException($"no op '{name}'; ops: {string.Join(", ", All.Select(o => o.Name))}");

    /// <summary>A version by its full name, "op/version" (e.g. "gemm/smem-tile64").</summary>
    public static OpVersion Version(string fullName)
    {
        int slash = fullName.IndexOf('/');
        if (slash < 0) throw new ArgumentException($"version '{fullName}': expected op/version, e.g. gemm/smem-tile64");
        return Find(fullName[..slash]).Version(fullName[(slash + 1)..]);
    }

    /// <summary>The catalogue rows of the kernels <paramref name="version"/> launches.</summary>
    public static IEnumerable<KernelInfo> KernelsOf(OpVersion version) =>
        version.Kernels.Select(n => KernelCatalog.All.FirstOrDefault(k => k.Name == n)
            ?? throw new InvalidOperationException($"{version.FullName} names kernel '{n}', which is not in KernelCatalog"));

    /// <summary>Every kernel some version launches, each once: what `ptx-check` compiles.</summary>
    public static IEnumerable<KernelInfo> Kernels => All.SelectMany(o => o.Versions).SelectMany(KernelsOf).Distinct();

    /// <summary>Catalogued kernels no version launches (must be empty: a test checks it).</summary>
    public static IEnumerable<string> Unlisted() =>
        KernelCatalog.All.Select(k => k.Name).Except(All.SelectMany(o => o.Versions).SelectMany(v => v.Kernels)).Order();
}
