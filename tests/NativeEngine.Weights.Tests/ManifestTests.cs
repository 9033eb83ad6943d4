using System.Globalization;
using System.Text.Json.Nodes;
using NativeEngine.Tests;
using NativeEngine.Weights.Eomt;

namespace NativeEngine.Weights.Tests;

/// <summary>The published checkpoints at real scale, as shape manifests (weights-tools/manifests, eomt.md §5.3).</summary>
public class ManifestTests
{
    private static IEnumerable<string> Files() =>
        Directory.GetFiles(Path.Combine(Fixtures.RepoRoot, "weights-tools", "manifests"), "*.json").Select(f => Path.GetFileName(f)!).Order();

    public static TheoryData<string> Manifests()
    {
        var data = new TheoryData<string>();
        foreach (var f in Files()) data.Add(f);
        return data;
    }

    private static string ManifestPath(string file) => Path.Combine(Fixtures.RepoRoot, "weights-tools", "manifests", file);

    [Fact]
    public void EveryPublishedModelHasAManifest()
    {
        var names = Files().ToList();
        foreach (var m in new[] { "S-640", "B-640", "L-640", "L-1024-cityscapes", "L-512-ade", "g-640", "B-1024-eomt-ext" })
            Assert.Contains(names, n => n.StartsWith(m + ".", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void KeyMapsAndInferenceAcceptTheManifestAndCountParameters(string file)
    {
        var doc = JsonNode.Parse(File.ReadAllText(ManifestPath(file)))!;
        var expected = doc["expected"]!;
        var arch = expected["architecture"]!;
        using var ck = EomtCheckpoint.Load(ManifestPath(file));
        var c = ck.Config;
        Assert.Equal((string)doc["naming"]!, ck.Naming);
        Assert.Equal((int)arch["hidden_size"]!, c.HiddenSize);
        Assert.Equal((int)arch["num_hidden_layers"]!, c.Layers);
        Assert.Equal((int)arch["num_attention_heads"]!, c.Heads);
        Assert.Equal((int)arch["patch_size"]!, c.PatchSize);
        Assert.Equal((int)arch["num_register_tokens"]!, c.RegisterTokens);
        Assert.Equal((int)arch["num_queries"]!, c.Queries);
        Assert.Equal((int)arch["num_labels"]!, c.Classes);
        Assert.Equal((int)arch["image_size"]!, c.ImageSize);
        Assert.Equal((int)arch["num_blocks"]!, c.QueryBlocks);
        Assert.Equal((int)arch["num_upscale_blocks"]!, c.UpscaleBlocks);
        Assert.Equal((string)arch["mlp"]! == "swiglu", c.SwiGlu);
        Assert.Equal((int)arch["mlp_hidden"]!, c.MlpHidden);

        // The count the generator computed independently, and the figure eomt.md §5.3 quotes (to its rounding).
        Assert.Equal((long)expected["parameters"]!, ck.ParameterCount);
        if (expected["parameters_quoted"] is JsonValue q)
        {
            var text = ((string)q!).Replace(" M", "", StringComparison.Ordinal);
            int decimals = text.Contains('.') ? text.Length - text.IndexOf('.') - 1 : 0;
            var quoted = double.Parse(text, CultureInfo.InvariantCulture);
            Assert.Equal(quoted, Math.Round(ck.ParameterCount / 1e6, decimals), 9);
        }
        Assert.All(ck.AttnMaskProbs, p => Assert.Equal(0f, p));
        Assert.Throws<InvalidOperationException>(() => ck.ReadFloat32("layernorm.weight"));
    }

    [Fact]
    public void TheSeedCheckpointCarriesAPlainAnomalyHead()
    {
        using var ck = EomtCheckpoint.Load(ManifestPath("B-1024-eomt-ext.original.json"));
        var head = Assert.IsType<AnomalyHeadWeights>(ck.AnomalyHead);
        Assert.Equal(AnomalyHeadLayout.Plain, head.Layout);
        Assert.Equal(2433, head.ParameterCount);
        Assert.False(head.HasData);
        Assert.Equal(64, ck.Config.Grid);
        Assert.Equal(256, ck.Config.MaskSize);
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void InspectJsonReportsTheArchitectureAndParameterCount(string file)
    {
        var doc = JsonNode.Parse(File.ReadAllText(ManifestPath(file)))!;
        var (code, stdout, stderr) = WeightsToolTests.Run("inspect", "--json", ManifestPath(file));
        Assert.True(code == 0, stderr);
        var j = JsonNode.Parse(stdout)!;
        Assert.Equal("manifest (shapes only)", (string?)j["format"]);
        Assert.Equal((long)doc["expected"]!["parameters"]!, (long)j["parameters"]!);
        var want = doc["expected"]!["architecture"]!.AsObject();
        foreach (var (key, value) in want)
            Assert.True(JsonNode.DeepEquals(value, j["architecture"]![key]), $"{file}: architecture.{key} = {j["architecture"]![key]?.ToJsonString()}, expected {value!.ToJsonString()}");
    }
}
