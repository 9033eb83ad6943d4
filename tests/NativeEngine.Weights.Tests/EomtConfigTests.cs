using System.Text.Json.Nodes;
using NativeEngine.Tests;
using NativeEngine.Weights.Eomt;

namespace NativeEngine.Weights.Tests;

/// <summary>
/// EomtConfig is the one config.json parser. Each row is a config on which the model's former reader
/// (EomtWeights.ReadConfig) and the checkpoint reader disagreed: the row states what the one parser does now.
/// </summary>
public class EomtConfigTests
{
    private static string Edited(Action<JsonObject> edit)
    {
        var o = JsonNode.Parse(File.ReadAllText(Fixtures.Path("weights/tiny_hf/config.json")))!.AsObject();
        edit(o);
        return o.ToJsonString();
    }

    [Fact]
    public void NumLabelsWithoutId2LabelGivesK()
    {
        // ReadConfig refused it (K from id2label only).
        var c = EomtConfig.FromConfigJson(Edited(o => { o.Remove("id2label"); o["num_labels"] = 7; }));
        Assert.Equal(7, c.Classes);
    }

    [Fact]
    public void NumChannelsIsRead()
    {
        // ReadConfig ignored it (always 3 channels).
        Assert.Equal(1, EomtConfig.FromConfigJson(Edited(o => o["num_channels"] = 1)).Channels);
    }

    [Fact]
    public void AnIntegerWrittenAsAFloatIsAnInteger()
    {
        // ReadConfig's GetInt32 threw on 2.0 without naming the key.
        Assert.Equal(2, EomtConfig.FromConfigJson(Edited(o => o["num_attention_heads"] = 2.0)).Heads);
    }

    [Theory]
    // Accepted by ReadConfig: zero heads (a division by zero later), a GELU model with another activation.
    [InlineData("num_attention_heads", "0", "num_attention_heads is 0; it must be at least 1")]
    [InlineData("patch_size", "0", "patch_size is 0; it must be at least 1")]
    [InlineData("hidden_act", "\"relu\"", "hidden_act 'relu' is not supported")]
    // Defaulted by both readers (a silently different model): a value of the wrong type.
    [InlineData("hidden_size", "\"16\"", "hidden_size is \"16\", not a number")]
    [InlineData("use_swiglu_ffn", "1", "use_swiglu_ffn is 1, not true or false")]
    // ReadConfig threw InvalidOperationException without the key; the checkpoint reader defaulted it.
    [InlineData("mlp_ratio", "\"4\"", "mlp_ratio is \"4\", not a number")]
    [InlineData("id2label", "[\"a\"]", "id2label is not an object")]
    [InlineData("num_hidden_layers", "2.5", "num_hidden_layers is 2.5, not an integer")]
    [InlineData("num_queries", "1e12", "num_queries is 1000000000000; it must be at least 1")]
    [InlineData("mlp_ratio", "0", "gives an MLP width of 0")]
    public void BadValuesAreRefusedNamingTheKey(string key, string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => EomtConfig.FromConfigJson(Edited(o => o[key] = JsonNode.Parse(json))));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void DuplicateKeysAreRefused()
    {
        // ReadConfig took one of the two values.
        var json = Edited(_ => { }).Replace("\"hidden_size\":16", "\"hidden_size\":16,\"hidden_size\":32");
        Assert.Throws<System.Text.Json.JsonException>(() => EomtConfig.FromConfigJson(json));
    }

    [Fact]
    public void ReadNamesTheFileAndTheKey()
    {
        var dir = Directory.CreateTempSubdirectory("eomt-config").FullName;
        try
        {
            var path = Path.Combine(dir, "config.json");
            File.WriteAllText(path, Edited(o => o["num_attention_heads"] = 0));
            var e = Assert.Throws<CheckpointException>(() => EomtConfig.Read(path));
            Assert.Equal(path, e.FilePath);
            Assert.Contains("num_attention_heads is 0", e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TheModelFixturesReadAsBefore()
    {
        Assert.Equal(EomtCheckpointTests.Tiny, EomtConfig.Read(Fixtures.Path("weights/tiny_hf/config.json")));
        Assert.Equal(new EomtConfig(HiddenSize: 32, Layers: 3, Heads: 2, PatchSize: 8, RegisterTokens: 2, Queries: 6, Classes: 4,
            ImageSize: 40, QueryBlocks: 2, UpscaleBlocks: 2, SwiGlu: false, MlpHidden: 128), EomtConfig.Read(Fixtures.Path("eomt/tiny/config.json")));
    }
}
