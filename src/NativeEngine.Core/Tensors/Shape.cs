namespace NativeEngine.Tensors;

/// <summary>An immutable row-major shape. Dimension letters used in comments: B N C H D Q K.</summary>
public readonly record struct Shape
{
    private readonly int[]? dims;

    /// <summary>Creates a shape; every dimension must be ≥ 0.</summary>
    public Shape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"negative dimension in shape [{string.Join(",", dims)}]");
        this.dims = (int[])dims.Clone();
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => dims?.Length ?? 0;

    /// <summary>Dimension i; negative i counts from the end.</summary>
    public int this[int i] => Dims[i < 0 ? Rank + i : i];

    /// <summary>The dimensions.</summary>
    public ReadOnlySpan<int> Dims => dims ?? [];

    /// <summary>Product of the dimensions.</summary>
    public long Elements
    {
        get
        {
            long n = 1;
            foreach (var d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>The dimensions as an array (a copy).</summary>
    public int[] ToArray() => Dims.ToArray();

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => "[" + string.Join(",", ToArray()) + "]";

    /// <summary>Implicit conversion from an int array.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);
}
