using NativeEngine.Models.Imaging;
using NativeEngine.Evaluation.Metrics;

namespace NativeEngine.Evaluation.Datasets;

/// <summary>The on-disk layouts the readers understand.</summary>
public enum DatasetLayout
{
    /// <summary>The seed's Validation_Dataset: <c>&lt;name&gt;/images/&lt;i&gt;.&lt;ext&gt;</c> + <c>&lt;name&gt;/labels_masks/&lt;i&gt;.png</c>.</summary>
    Validation,
    /// <summary>SMIYC <c>dataset_AnomalyTrack</c> / <c>dataset_ObstacleTrack</c>: <c>images/{fid}.*</c> + <c>labels_masks/{fid}_labels_semantic.png</c>.</summary>
    Smiyc,
    /// <summary>Cityscapes-style LostAndFound: <c>leftImg8bit/{split}/{scene}/{fid}_leftImg8bit.png</c> + <c>gtCoarse/…/{fid}_gtCoarse_labelIds.png</c>.</summary>
    LostAndFound,
    /// <summary>The original EPFL Road Anomaly: <c>frames/{name}.jpg</c> + <c>frames/{name}.labels/labels_semantic.png</c>.</summary>
    EpflRoadAnomaly,
}

/// <summary>One image of a dataset and its mask (null when the dataset has no label for it).</summary>
public sealed record DatasetSample(string Id, string ImagePath, string? MaskPath)
{
    /// <summary>Decodes the image and its mask and checks they have the same size.</summary>
    public (RgbImage Image, LabelMask Mask) Load()
    {
        if (MaskPath is null) throw new ImageFileException(ImagePath, "has no label mask");
        var image = ImageFiles.ReadRgb(ImagePath);
        var mask = ImageFiles.ReadMask(MaskPath);
        if (image.Width != mask.Width || image.Height != mask.Height)
            throw new ImageFileException(MaskPath, $"mask is {mask.Width}×{mask.Height} but its image {Path.GetFileName(ImagePath)} is {image.Width}×{image.Height}; they must have the same size");
        return (image, mask);
    }
}

/// <summary>A dataset found on disk: its samples in a stable order and the rule mapping its mask values.</summary>
/// <param name="Name">Canonical name (e.g. RoadObstacle21 even when the folder is spelled RoadObsticle21).</param>
/// <param name="Column">The column label of the seed's tables (RA-21, RO-21, FS L&amp;F, FS Static, Road Anomaly).</param>
/// <param name="Root">The dataset folder.</param>
/// <param name="Layout">How the files are laid out.</param>
/// <param name="Rule">Mask value → class.</param>
/// <param name="Samples">Labelled images, in natural order of their ids.</param>
/// <param name="Unlabelled">Images without a mask (SMIYC test images: labels are not public), left out.</param>
public sealed record AnomalyDataset(string Name, string Column, string Root, DatasetLayout Layout, LabelRule Rule,
    IReadOnlyList<DatasetSample> Samples, IReadOnlyList<string> Unlabelled)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Column}): {Samples.Count} images, {Layout} layout at {Root}";
}
