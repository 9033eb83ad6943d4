namespace NativeEngine.Evaluation.Visuals;

/// <summary>The heatmap colour maps (256-entry tables generated from matplotlib by generate_colormaps.py) and the Cityscapes palette.</summary>
public static partial class Colormaps
{
    /// <summary>A colour map: 256 RGB triples.</summary>
    public enum Map
    {
        /// <summary>magma (the SMIYC toolkit's heatmap map; the default).</summary>
        Magma,
        /// <summary>inferno.</summary>
        Inferno,
    }

    /// <summary>The 768-byte RGB table of a map.</summary>
    public static ReadOnlySpan<byte> Table(Map map) => map == Map.Inferno ? InfernoTable : MagmaTable;

    /// <summary>The colour of a value in [0, 1] (clamped; NaN maps to 0).</summary>
    public static (byte R, byte G, byte B) Color(Map map, float t)
    {
        int i = float.IsNaN(t) ? 0 : (int)Math.Round(Math.Clamp(t, 0f, 1f) * 255f);
        var tab = Table(map);
        return (tab[3 * i], tab[3 * i + 1], tab[3 * i + 2]);
    }

    /// <summary>The Cityscapes train-id colours of the 19 evaluated classes (road, sidewalk, … bicycle).</summary>
    public static ReadOnlySpan<byte> Cityscapes =>
    [
        128, 64, 128, 244, 35, 232, 70, 70, 70, 102, 102, 156, 190, 153, 153, 153, 153, 153, 250, 170, 30, 220, 220, 0,
        107, 142, 35, 152, 251, 152, 70, 130, 180, 220, 20, 60, 255, 0, 0, 0, 0, 142, 0, 0, 70, 0, 60, 100,
        0, 80, 100, 0, 0, 230, 119, 11, 32,
    ];

    /// <summary>The Cityscapes class names in train-id order.</summary>
    public static IReadOnlyList<string> CityscapesClasses { get; } =
    [
        "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation", "terrain",
        "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle",
    ];
}
