using System.Security.Cryptography;
using System.Text;
using NativeEngine.Models.Imaging;

namespace NativeEngine.Training.Synthetic;

/// <summary>A scene: an RGB image and its per-pixel Cityscapes trainId label map (H·W bytes).</summary>
/// <param name="Image">The image.</param>
/// <param name="Labels">trainIds (0 road, 1 sidewalk, 11–18 person…bicycle, 255 unlabelled).</param>
/// <param name="Id">A stable name (seeds the sample's RNG and names the output files).</param>
public sealed record LabeledImage(RgbImage Image, byte[] Labels, string Id);

/// <summary>An object cut-out: RGB pixels and a binary mask (COCO instance crop).</summary>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
/// <param name="Rgb">H·W·3 bytes.</param>
/// <param name="Mask">H·W, true inside the object.</param>
/// <param name="Id">A name.</param>
public sealed record CutOut(int Width, int Height, byte[] Rgb, bool[] Mask, string Id);

/// <summary>A generated sample: the composited image and its 0/1 ground truth (the seed never writes 255).</summary>
/// <param name="Image">The image.</param>
/// <param name="Gt">H·W bytes, 1 where the pasted alpha &gt; 0.5.</param>
/// <param name="Id">The scene's id.</param>
/// <param name="Box">Where the object went (x, y, w, h), null when placement failed and the scene is returned clean.</param>
public sealed record SyntheticSample(RgbImage Image, byte[] Gt, string Id, (int X, int Y, int W, int H)? Box);

/// <summary>
/// The seed's cut-paste settings (seed.md §2.5): road 0.7 / sidewalk 0.3 targets, perspective scale 0.35→1.25 by
/// row, area 1–18 % of the image, ≥ 80 % of the box on the target class, no overlap with person…bicycle, 9-px
/// feathering, LAB mean matching, one instance per image.
/// </summary>
public sealed record PasteOptions(
    int Seed = 32323232,
    double RoadProbability = 0.7,
    byte RoadId = 0,
    byte SidewalkId = 1,
    double MinScale = 0.35,
    double MaxScale = 1.25,
    double MinAreaRatio = 0.01,
    double MaxAreaRatio = 0.18,
    double MinTargetFraction = 0.8,
    int MaxInstanceAttempts = 30,
    int MaxLocationAttempts = 50,
    int FeatherKernel = 9,
    double ColourMatch = 1.0)
{
    /// <summary>trainIds the object must not overlap: person, rider, car, truck, bus, train, motorcycle, bicycle.</summary>
    public IReadOnlySet<byte> Forbidden { get; init; } = new HashSet<byte> { 11, 12, 13, 14, 15, 16, 17, 18 };
}

/// <summary>Pastes object cut-outs onto road/sidewalk regions the way the seed's generator does.</summary>
public sealed class AnomalyPaster(PasteOptions options)
{
    /// <summary>The settings.</summary>
    public PasteOptions Options { get; } = options;

    /// <summary>The per-sample RNG seed: the first 8 hex digits of sha256("{seed}::{id}"), as the seed's generator.</summary>
    public static int SampleSeed(int seed, string id)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}::{id}"));
        return (int)(((uint)h[0] << 24 | (uint)h[1] << 16 | (uint)h[2] << 8 | h[3]) & 0x7fffffff);
    }

    /// <summary>One sample: the scene with one pasted object, or the clean scene (all-0 gt) when no placement was found.</summary>
    public SyntheticSample Paste(LabeledImage scene, IReadOnlyList<CutOut> pool)
    {
        var img = scene.Image;
        int w = img.Width, h = img.Height;
        if (scene.Labels.Length != w * h) throw new ArgumentException($"{scene.Id}: label map has {scene.Labels.Length} pixels, image {w}x{h}");
        if (pool.Count == 0) throw new ArgumentException("cut-out pool is empty");
        var rng = new Random(SampleSeed(Options.Seed, scene.Id));
        for (int attempt = 0; attempt < Options.MaxInstanceAttempts; attempt++)
        {
            var obj = pool[rng.Next(pool.Count)];
            byte target = rng.NextDouble() < Options.RoadProbability ? Options.RoadId : Options.SidewalkId;
            double yc = rng.NextDouble() * h;
            double scale = Options.MinScale + (Options.MaxScale - Options.MinScale) * yc / Math.Max(h - 1, 1);
            double area = scale * obj.Width * scale * obj.Height / ((double)w * h);
            double clamped = Math.Clamp(area, Options.MinAreaRatio, Options.MaxAreaRatio);
            scale = Math.Clamp(scale * Math.Sqrt(clamped / area), 0.05, 10);
            int pw = Math.Max(1, (int)Math.Round(obj.Width * scale)), ph = Math.Max(1, (int)Math.Round(obj.Height * scale));
            if (pw >= w - 1 || ph >= h - 1) continue;
            var rgb = Raster.ResizeBilinear(obj.Rgb, obj.Width, obj.Height, pw, ph);
            var mask = Raster.ResizeNearest(obj.Mask, obj.Width, obj.Height, pw, ph);
            for (int loc = 0; loc < Options.MaxLocationAttempts; loc++)
            {
                int x0 = rng.Next(0, w - pw + 1), y0 = rng.Next(0, h - ph + 1);
                if (x0 == 0 || y0 == 0 || x0 + pw >= w || y0 + ph >= h) continue;          // touches the border
                if (!Fits(scene.Labels, w, x0, y0, pw, ph, mask, target)) continue;
                return Composite(scene, rgb, mask, x0, y0, pw, ph);
            }
        }
        return new SyntheticSample(img, new byte[w * h], scene.Id, null);
    }

    private bool Fits(byte[] labels, int w, int x0, int y0, int pw, int ph, bool[] mask, byte target)
    {
        int onTarget = 0;
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++)
            {
                byte l = labels[(y0 + y) * w + x0 + x];
                if (l == target) onTarget++;
                if (mask[y * pw + x] && Options.Forbidden.Contains(l)) return false;
            }
        return onTarget >= Options.MinTargetFraction * pw * ph;
    }

    private SyntheticSample Composite(LabeledImage scene, byte[] rgb, bool[] mask, int x0, int y0, int pw, int ph)
    {
        var img = scene.Image;
        int w = img.Width;
        var alpha = Raster.Feather(mask, pw, ph, Options.FeatherKernel);
        var patch = Options.ColourMatch > 0 ? MatchColour(rgb, mask, img, x0, y0, pw, ph) : rgb;
        var outPixels = (byte[])img.Pixels.Clone();
        var gt = new byte[img.Width * img.Height];
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++)
            {
                float a = alpha[y * pw + x];
                long o = ((long)(y0 + y) * w + x0 + x) * 3;
                for (int c = 0; c < 3; c++)
                    outPixels[o + c] = (byte)Math.Clamp(Math.Round(a * patch[(y * pw + x) * 3 + c] + (1 - a) * img.Pixels[o + c]), 0, 255);
                if (a > 0.5f) gt[(y0 + y) * w + x0 + x] = 1;
            }
        return new SyntheticSample(new RgbImage(img.Width, img.Height, outPixels), gt, scene.Id, (x0, y0, pw, ph));
    }

    // Shift the patch's mean L*a*b* (over its mask) towards the background box's mean (seed: fully, match_std false).
    private byte[] MatchColour(byte[] rgb, bool[] mask, RgbImage bg, int x0, int y0, int pw, int ph)
    {
        var patchLab = new double[3];
        var bgLab = new double[3];
        int n = 0;
        var labs = new (double L, double A, double B)[pw * ph];
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++)
            {
                int i = y * pw + x;
                labs[i] = Lab.FromRgb(rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]);
                long o = ((long)(y0 + y) * bg.Width + x0 + x) * 3;
                var b = Lab.FromRgb(bg.Pixels[o], bg.Pixels[o + 1], bg.Pixels[o + 2]);
                bgLab[0] += b.L; bgLab[1] += b.A; bgLab[2] += b.B;
                if (!mask[i]) continue;
                patchLab[0] += labs[i].L; patchLab[1] += labs[i].A; patchLab[2] += labs[i].B;
                n++;
            }
        if (n == 0) return rgb;
        double k = Options.ColourMatch, count = pw * ph;
        double dl = k * (bgLab[0] / count - patchLab[0] / n), da = k * (bgLab[1] / count - patchLab[1] / n), db = k * (bgLab[2] / count - patchLab[2] / n);
        var result = new byte[rgb.Length];
        for (int i = 0; i < labs.Length; i++)
        {
            var (r, g, b) = Lab.ToRgb(labs[i].L + dl, labs[i].A + da, labs[i].B + db);
            result[i * 3] = r; result[i * 3 + 1] = g; result[i * 3 + 2] = b;
        }
        return result;
    }
}
