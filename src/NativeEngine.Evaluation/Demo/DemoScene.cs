using NativeEngine.Models.Imaging;

namespace NativeEngine.Evaluation.Demo;

/// <summary>The colours the demo scene is painted with (sRGB), shared with the demo model's prototypes.</summary>
public static class DemoPalette
{
    /// <summary>Asphalt.</summary>
    public static readonly (byte R, byte G, byte B) Road = (80, 80, 85);
    /// <summary>Lane markings.</summary>
    public static readonly (byte R, byte G, byte B) Lane = (235, 235, 235);
    /// <summary>Pavement.</summary>
    public static readonly (byte R, byte G, byte B) Sidewalk = (170, 170, 150);
    /// <summary>Brick buildings.</summary>
    public static readonly (byte R, byte G, byte B) Building = (150, 80, 60);
    /// <summary>Trees and hedges (light and dark).</summary>
    public static readonly (byte R, byte G, byte B) Vegetation = (70, 130, 50), VegetationDark = (45, 95, 35);
    /// <summary>Sky at the top and near the horizon.</summary>
    public static readonly (byte R, byte G, byte B) SkyHigh = (110, 170, 230), SkyLow = (185, 212, 238);
    /// <summary>The out-of-place object: a magenta crate (lit face and shaded face).</summary>
    public static readonly (byte R, byte G, byte B) Object = (230, 0, 230), ObjectShade = (185, 10, 190);
}

/// <summary>
/// A procedurally drawn road scene with one out-of-place object on the road, and its ground truth (1 on the object,
/// 0 elsewhere). Deterministic for a seed: sky gradient, tree lines and brick buildings at the horizon, a road in
/// perspective with pavements and dashed lane markings, a magenta crate on the road, mild per-pixel noise.
/// </summary>
public static class DemoScene
{
    /// <summary>Draws the scene (<paramref name="width"/>×<paramref name="height"/>) and its mask.</summary>
    public static (RgbImage Image, byte[] Mask) Draw(int width = 640, int height = 360, int seed = 7)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 64);
        var rng = new Random(seed);
        var px = new byte[width * height * 3];
        var mask = new byte[width * height];
        int horizon = (int)(height * 0.42);
        double vx = width * (0.5 + (rng.NextDouble() - 0.5) * 0.1); // vanishing point
        // Building blocks and tree crowns along the horizon, left and right of the road.
        var blocks = new List<(int X0, int X1, int Top, bool Tree)>();
        for (int x = 0; x < width;)
        {
            int w = (int)(width * (0.06 + rng.NextDouble() * 0.08));
            bool tree = rng.NextDouble() < 0.45;
            blocks.Add((x, x + w, horizon - (int)(height * (0.08 + rng.NextDouble() * (tree ? 0.12 : 0.2))), tree));
            x += w;
        }
        // The crate: on the road, in the lower middle.
        int oh = (int)(height * 0.16), ow = (int)(oh * 1.3);
        int oy1 = (int)(height * (0.72 + rng.NextDouble() * 0.08)), ox0 = (int)(vx - ow / 2 + (rng.NextDouble() - 0.5) * width * 0.12);

        for (int y = 0; y < height; y++)
        {
            double t = (double)(y - horizon) / (height - horizon); // 0 at the horizon, 1 at the bottom
            double roadHalf = t * width * 0.55 + 4, walkHalf = roadHalf + t * width * 0.18 + 2;
            for (int x = 0; x < width; x++)
            {
                (byte, byte, byte) c;
                if (y < horizon)
                {
                    var blk = blocks.First(b => x >= b.X0 && x < b.X1);
                    bool nearRoad = Math.Abs(x - vx) < width * 0.04;
                    if (!nearRoad && y >= blk.Top)
                        c = blk.Tree ? ((x / 9 + y / 7) % 3 == 0 ? DemoPalette.VegetationDark : DemoPalette.Vegetation)
                            : ((y - blk.Top) % 14 < 2 ? DemoPalette.VegetationDark : DemoPalette.Building);
                    else
                        c = Lerp(DemoPalette.SkyHigh, DemoPalette.SkyLow, (double)y / horizon);
                }
                else
                {
                    double dx = Math.Abs(x - vx);
                    if (dx < roadHalf)
                    {
                        // Dashed centre line: dashes shrink towards the horizon.
                        bool dash = dx < 1 + t * width * 0.012 && ((int)(Math.Sqrt(t) * 24)) % 2 == 0;
                        c = dash ? DemoPalette.Lane : DemoPalette.Road;
                    }
                    else if (dx < walkHalf) c = DemoPalette.Sidewalk;
                    else c = (x + y) % 11 == 0 ? DemoPalette.VegetationDark : DemoPalette.Vegetation;
                }
                if (y >= oy1 - oh && y < oy1 && x >= ox0 && x < ox0 + ow)
                {
                    c = x < ox0 + ow * 0.7 ? DemoPalette.Object : DemoPalette.ObjectShade;
                    mask[y * width + x] = 1;
                }
                int i = 3 * (y * width + x);
                int n = rng.Next(-6, 7);
                px[i] = Clamp(c.Item1 + n);
                px[i + 1] = Clamp(c.Item2 + n);
                px[i + 2] = Clamp(c.Item3 + n);
            }
        }
        return (new RgbImage(width, height, px) { Source = "built-in demo scene" }, mask);
    }

    private static (byte, byte, byte) Lerp((byte R, byte G, byte B) a, (byte R, byte G, byte B) b, double t) =>
        ((byte)(a.R + (b.R - a.R) * t), (byte)(a.G + (b.G - a.G) * t), (byte)(a.B + (b.B - a.B) * t));

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
