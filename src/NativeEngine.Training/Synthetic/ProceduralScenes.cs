using NativeEngine.Models.Imaging;

namespace NativeEngine.Training.Synthetic;

/// <summary>
/// Procedurally drawn road scenes and object cut-outs, so the generator and the training path can be tested without
/// Cityscapes or COCO: sky (trainId 10), buildings (2), vegetation (8), sidewalks (1) either side of a road (0) that
/// narrows towards the horizon, sometimes a car (13); objects are textured blobs in saturated colours.
/// </summary>
public static class ProceduralScenes
{
    /// <summary>A w×h scene with its trainId map; the same seed draws the same scene.</summary>
    public static LabeledImage Scene(int seed, int width, int height, string? id = null)
    {
        var rng = new Random(seed);
        var px = new byte[width * height * 3];
        var labels = new byte[width * height];
        int horizon = (int)(height * (0.35 + 0.1 * rng.NextDouble()));
        double roadTop = 0.1 + 0.1 * rng.NextDouble(), walk = 0.12 + 0.08 * rng.NextDouble();
        (byte, byte, byte) road = Grey(rng, 70, 100), side = Grey(rng, 130, 170), sky = ((byte)rng.Next(110, 160), (byte)rng.Next(160, 200), (byte)rng.Next(220, 255));
        (byte, byte, byte) building = ((byte)rng.Next(90, 150), (byte)rng.Next(80, 130), (byte)rng.Next(70, 120)), tree = ((byte)rng.Next(30, 70), (byte)rng.Next(90, 140), (byte)rng.Next(30, 70));
        int carX = rng.NextDouble() < 0.5 ? rng.Next(width / 4, width / 2) : -1, carW = width / 6;
        for (int y = 0; y < height; y++)
        {
            double t = y <= horizon ? 0 : (y - horizon) / (double)(height - horizon);   // 0 at the horizon, 1 at the bottom
            double half = width * (roadTop + (0.5 - roadTop) * t) / 2, walkW = width * walk * (0.3 + 0.7 * t);
            for (int x = 0; x < width; x++)
            {
                double dx = Math.Abs(x - width / 2.0);
                (byte label, (byte, byte, byte) c) = y < horizon * 0.6 ? ((byte)10, sky)
                    : y <= horizon ? (x % 40 < 25 ? ((byte)2, building) : ((byte)8, tree))
                    : dx < half ? ((byte)0, road) : dx < half + walkW ? ((byte)1, side) : ((byte)8, tree);
                if (carX >= 0 && y > horizon && x >= carX && x < carX + carW && y >= horizon + (height - horizon) / 3 && y < horizon + (height - horizon) / 2)
                    (label, c) = ((byte)13, ((byte)150, (byte)20, (byte)30));
                int noise = rng.Next(-8, 9);
                int o = (y * width + x) * 3;
                px[o] = Clamp(c.Item1 + noise);
                px[o + 1] = Clamp(c.Item2 + noise);
                px[o + 2] = Clamp(c.Item3 + noise);
                labels[y * width + x] = label;
            }
        }
        return new LabeledImage(new RgbImage(width, height, px), labels, id ?? $"scene_{seed}");
    }

    /// <summary>A size×size-ish object: an irregular blob (3 overlapping ellipses) with a striped saturated texture.</summary>
    public static CutOut Object(int seed, int size)
    {
        var rng = new Random(seed);
        int w = size, h = Math.Max(4, (int)(size * (0.6 + 0.8 * rng.NextDouble())));
        var rgb = new byte[w * h * 3];
        var mask = new bool[w * h];
        var ellipses = Enumerable.Range(0, 3).Select(_ => (cx: w * (0.3 + 0.4 * rng.NextDouble()), cy: h * (0.3 + 0.4 * rng.NextDouble()),
            rx: w * (0.2 + 0.25 * rng.NextDouble()), ry: h * (0.2 + 0.25 * rng.NextDouble()))).ToArray();
        var (c1, c2) = (Saturated(rng), Saturated(rng));
        int period = rng.Next(3, 7);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                mask[y * w + x] = ellipses.Any(e => Math.Pow((x - e.cx) / e.rx, 2) + Math.Pow((y - e.cy) / e.ry, 2) <= 1);
                var c = (x + y) / period % 2 == 0 ? c1 : c2;
                rgb[(y * w + x) * 3] = c.Item1;
                rgb[(y * w + x) * 3 + 1] = c.Item2;
                rgb[(y * w + x) * 3 + 2] = c.Item3;
            }
        return new CutOut(w, h, rgb, mask, $"object_{seed}");
    }

    private static (byte, byte, byte) Grey(Random rng, int lo, int hi)
    {
        byte v = (byte)rng.Next(lo, hi);
        return (v, v, (byte)Math.Min(255, v + 5));
    }

    private static (byte, byte, byte) Saturated(Random rng) => rng.Next(3) switch
    {
        0 => ((byte)rng.Next(200, 256), (byte)rng.Next(0, 80), (byte)rng.Next(0, 120)),
        1 => ((byte)rng.Next(0, 100), (byte)rng.Next(180, 256), (byte)rng.Next(0, 80)),
        _ => ((byte)rng.Next(200, 256), (byte)rng.Next(200, 256), (byte)rng.Next(0, 60)),
    };

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
