using System.Numerics;
using NativeEngine.Tensors;

namespace NativeEngine.Weights.Torch;

// The values the restricted unpickler produces. None of them is ever mapped to a .NET type by name: a pickle GLOBAL
// becomes an inert (module, name) token and only the allowlisted ones are interpreted.
// Python values: None → null, bool → bool, int → long (or BigInteger), float → double, str → string,
// bytes → byte[], list/set → PyList, tuple → PyTuple, dict/OrderedDict → PyDict.

/// <summary>A Python list (also used for set/frozenset contents).</summary>
public sealed class PyList : List<object?>
{
}

/// <summary>A Python tuple.</summary>
public sealed record PyTuple(object?[] Items)
{
    /// <summary>Number of items.</summary>
    public int Count => Items.Length;

    /// <summary>An item.</summary>
    public object? this[int i] => Items[i];

    /// <inheritdoc/>
    public override string ToString() => PickleText.Short(this);
}

/// <summary>A Python dict or OrderedDict (insertion ordered; keys compared by value).</summary>
public sealed class PyDict
{
    private readonly List<KeyValuePair<object?, object?>> items = [];
    private readonly Dictionary<object, int> index = [];

    /// <summary>The class the pickle named ("dict", "collections.OrderedDict", an allowlisted metadata class…).</summary>
    public string TypeName { get; init; } = "dict";

    /// <summary>Entries in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<object?, object?>> Items => items;

    /// <summary>Number of entries.</summary>
    public int Count => items.Count;

    /// <summary>Sets a key (replacing an existing one in place, as Python does).</summary>
    public void Set(object? key, object? value)
    {
        var k = key ?? NullKey;
        if (index.TryGetValue(k, out var i)) items[i] = new(key, value);
        else
        {
            index[k] = items.Count;
            items.Add(new(key, value));
        }
    }

    /// <summary>Looks a key up.</summary>
    public bool TryGet(object? key, out object? value)
    {
        if (index.TryGetValue(key ?? NullKey, out var i))
        {
            value = items[i].Value;
            return true;
        }
        value = null;
        return false;
    }

    private static readonly object NullKey = new();
}

/// <summary>An inert reference to a pickle GLOBAL (module.name); never resolved to code.</summary>
public sealed record PyGlobal(string Module, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>An instance of an allowlisted metadata class (argparse.Namespace, pathlib paths, numpy scalars…): kept as
/// its class name, constructor arguments and state, never instantiated.</summary>
public sealed record PyOpaque(PyGlobal Type, object? Args)
{
    /// <summary>State set by BUILD, if any.</summary>
    public object? State { get; set; }

    /// <inheritdoc/>
    public override string ToString() => $"<{Type}>";
}

/// <summary>A storage of a PyTorch zip: dtype (safetensors name), record key, element count.</summary>
public sealed record TorchStorage(DType DType, string Key, long Elements, string Location);

/// <summary>A tensor view onto a storage: offset and strides in elements, as _rebuild_tensor_v2 gives them.</summary>
public sealed record TorchTensor(TorchStorage Storage, long StorageOffset, long[] Size, long[] Stride)
{
    /// <summary>Number of elements.</summary>
    public long Elements => Size.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>Whether the view is dense row-major (dims of size 1 may have any stride).</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int d = Size.Length - 1; d >= 0; d--)
            {
                if (Size[d] != 1 && Stride[d] != expected) return false;
                expected *= Size[d];
            }
            return true;
        }
    }
}

internal static class PickleText
{
    // Depth-limited: a hostile pickle may nest tuples a million deep; error messages must not recurse that far.
    public static string Short(object? v) => Short(v, 0);

    private static string Short(object? v, int depth) => v switch
    {
        null => "None",
        PyTuple t when depth >= 3 => $"tuple[{t.Count}]",
        PyTuple t => "(" + string.Join(", ", t.Items.Take(8).Select(x => Short(x, depth + 1))) + (t.Count > 8 ? ", …" : "") + ")",
        string s => s.Length > 40 ? $"'{s[..40]}…'" : $"'{s}'",
        byte[] b => $"bytes[{b.Length}]",
        BigInteger i => i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        PyList l => $"list[{l.Count}]",
        PyDict d => $"{d.TypeName}[{d.Count}]",
        TorchTensor t => $"tensor {t.Storage.DType.SafeTensorsName()} ({string.Join(",", t.Size)})",
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "?",
    };

    public static string TypeOf(object? v) => v switch
    {
        null => "None",
        bool => "bool",
        long or BigInteger => "int",
        double => "float",
        string => "str",
        byte[] => "bytes",
        PyList => "list",
        PyTuple => "tuple",
        PyDict d => d.TypeName,
        PyGlobal g => $"global {g}",
        PyOpaque o => o.Type.ToString(),
        TorchStorage => "storage",
        TorchTensor => "tensor",
        _ => v.GetType().Name,
    };
}
