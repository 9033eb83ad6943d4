using NativeEngine.Models.Eomt;
using NativeEngine.Tensors;
using NativeEngine.Weights.SafeTensors;
using Xunit.Abstractions;

namespace NativeEngine.Tests;

/// <summary>
/// The tiny EoMT in bf16 and fp16 (`--precision`) against two PyTorch references: the float64 one (tiny_forward: the
/// cost of the precision) and the same forward with the ViT blocks' operands rounded where the engine rounds them
/// (tests/fixtures/generate_precision.py: what the engine claims to compute).
/// </summary>
[Collection(DeviceCollection.Name)]
public class PrecisionForwardTests(DeviceFixture fx, ITestOutputHelper output)
{
    // Bounds, as fractions of max|reference| (u: unit roundoff, bf16 2⁻⁸, fp16 2⁻¹¹), measured on the host backend
    // (bf16 / fp16): vs the float64 reference 1.5e-3 / 1.8e-4 of max, vs the rounded reference 5.8e-4 / 1.0e-4.
    // - vs float64: 2.5u (bf16 9.8e-3, fp16 1.2e-3): a few roundings of u each, not an error of the size of the values.
    // - vs the rounded reference, max: u/2 (bf16 2.0e-3, fp16 2.4e-4). It cannot be float32-tight: an activation that
    //   float32 and float64 arithmetic put on opposite sides of a bf16 rounding boundary moves by a whole ulp and the
    //   blocks amplify it (the rounded reference itself moves by 2.9e-4 of max between float32 and float64 arithmetic).
    // - vs the rounded reference, mean |Δ|: at most 0.7 of the mean |Δ| against float64 (measured 0.23-0.4 on the
    //   host; 0.51-0.60 on the simulator, whose attention v1 rounds P against the running row max, as v3 does per key
    //   tile, where the reference rounds it against the final max): the rounding the reference models explains most of
    //   the difference.
    [Theory]
    [InlineData(Precision.Bf16)]
    [InlineData(Precision.Fp16)]
    public void ForwardAgreesWithAReferenceThatRoundsTheSameWay(Precision precision)
    {
        using var exact = SafeTensorsFile.Open(Fixtures.Path("eomt/tiny_forward.safetensors"));
        using var rounded = SafeTensorsFile.Open(Fixtures.Path("eomt/tiny_precision_forward.safetensors"));
        var entry = exact.Get("pixel_values");
        Assert.Equal(exact.ReadFloat32("pixel_values"), rounded.ReadFloat32("pixel_values"));
        using var model = EomtModel.Load(fx.Device, Fixtures.Path("eomt/tiny"), precision: precision);
        Assert.Equal(precision, model.Precision);
        using var pixels = Tensor.FromHost(fx.Device, new Shape(entry.Shape.Select(v => (int)v).ToArray()), exact.ReadFloat32("pixel_values"));
        var o = model.Forward(pixels);
        var got = new Dictionary<string, float[]>
        {
            ["class_queries_logits"] = o.ClassQueriesLogits.ToHostFloat(),
            ["masks_queries_logits"] = o.MasksQueriesLogits.ToHostFloat(),
        };
        double u = NativeEngine.Reference.PrecisionRef.UnitRoundoff(precision.Name());
        foreach (var (name, actual) in got)
        {
            var reference64 = exact.ReadFloat32(name);
            var referenceRounded = rounded.ReadFloat32($"{precision.Name()}.{name}");
            double vs64 = Tolerance.RelativeToMax(reference64, actual), vsRounded = Tolerance.RelativeToMax(referenceRounded, actual);
            double mean64 = MeanRel(reference64, actual), meanRounded = MeanRel(referenceRounded, actual);
            output.WriteLine($"{precision.Name()} {name}: max|Δ|/max|ref| vs float64 {vs64:E2}, vs rounded {vsRounded:E2}; mean|Δ|/mean|ref| {mean64:E2} / {meanRounded:E2}");
            Assert.True(vs64 <= 2.5 * u, $"{name}: {precision.Name()} differs from float64 by {vs64:E2} of max, bound 2.5u = {2.5 * u:E2}");
            Assert.True(vs64 > 0, $"{name}: {precision.Name()} equals float64 exactly: the precision was not applied");
            Assert.True(vsRounded <= u / 2, $"{name}: {precision.Name()} differs from the rounded reference by {vsRounded:E2} of max, bound u/2 = {u / 2:E2}");
            Assert.True(meanRounded <= 0.7 * mean64, $"{name}: mean |Δ| vs the rounded reference {meanRounded:E2} is not below 0.7 of that vs float64 {mean64:E2}");
        }
    }

    [Fact]
    public void Fp32IsTheDefault()
    {
        using var model = EomtModel.Load(fx.Device, Fixtures.Path("eomt/tiny"));
        Assert.Equal(Precision.Fp32, model.Precision);
    }

    private static double MeanRel(float[] r, float[] a)
    {
        double sum = 0, diff = 0;
        for (int i = 0; i < r.Length; i++)
        {
            sum += Math.Abs(r[i]);
            diff += Math.Abs(r[i] - a[i]);
        }
        return diff / sum;
    }
}
