using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using NativeEngine.Tensors;

namespace NativeEngine.Weights.Torch;

/// <summary>
/// A pickle reader that executes nothing. It implements the opcode subset of PyTorch's own weights-only unpickler
/// (torch/_weights_only_unpickler.py, the default of torch.load since 2.6) plus the protocol-4 framing opcodes, and
/// interprets only allowlisted GLOBALs: containers (OrderedDict), the tensor rebuild functions, storage types,
/// dtypes, torch.Size/device and a few inert builtins. Every other GLOBAL, a REDUCE/NEWOBJ/BUILD on anything not
/// allowlisted, an unknown opcode, a malformed stream or a resource limit is refused with a
/// <see cref="CheckpointException"/> that names what was found and where.
/// </summary>
public sealed class RestrictedUnpickler
{
    /// <summary>Largest data.pkl accepted (bytes).</summary>
    public const int MaxPickleBytes = 256 << 20;

    /// <summary>Most memo entries accepted.</summary>
    public const int MaxMemo = 4_000_000;

    /// <summary>Most tensors a checkpoint may declare.</summary>
    public const int MaxTensors = 1_000_000;

    private enum Callable { OrderedDict, Dict, RebuildTensorV2, RebuildParameter, RebuildParameterWithState, RebuildFromTypeV2, Size, Device, GetLayout, CodecsEncode, Set, ByteArray, Parameter, Opaque }

    // GLOBALs that may be called (REDUCE) or constructed (NEWOBJ): what torch.load(weights_only=True) allows.
    private static readonly Dictionary<string, Callable> Callables = new(StringComparer.Ordinal)
    {
        ["collections.OrderedDict"] = Callable.OrderedDict,
        ["collections.Counter"] = Callable.Dict,
        ["torch._utils._rebuild_tensor_v2"] = Callable.RebuildTensorV2,
        ["torch._utils._rebuild_parameter"] = Callable.RebuildParameter,
        ["torch._utils._rebuild_parameter_with_state"] = Callable.RebuildParameterWithState,
        ["torch._tensor._rebuild_from_type_v2"] = Callable.RebuildFromTypeV2,
        ["torch.Size"] = Callable.Size,
        ["torch.device"] = Callable.Device,
        ["torch.serialization._get_layout"] = Callable.GetLayout,
        ["_codecs.encode"] = Callable.CodecsEncode,
        ["builtins.set"] = Callable.Set, ["__builtin__.set"] = Callable.Set,
        ["builtins.frozenset"] = Callable.Set, ["__builtin__.frozenset"] = Callable.Set,
        ["builtins.bytearray"] = Callable.ByteArray, ["__builtin__.bytearray"] = Callable.ByteArray,
        ["torch.nn.parameter.Parameter"] = Callable.Parameter,
    };

    // Storage classes → element type (the dtype comes from the class name).
    private static readonly Dictionary<string, DType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["torch.FloatStorage"] = DType.Float32, ["torch.HalfStorage"] = DType.Float16, ["torch.BFloat16Storage"] = DType.BFloat16,
        ["torch.DoubleStorage"] = DType.Float64, ["torch.LongStorage"] = DType.Int64, ["torch.IntStorage"] = DType.Int32,
        ["torch.ShortStorage"] = DType.Int16, ["torch.CharStorage"] = DType.Int8, ["torch.ByteStorage"] = DType.UInt8,
        ["torch.BoolStorage"] = DType.Bool, ["torch.UntypedStorage"] = DType.UInt8, ["torch.storage.UntypedStorage"] = DType.UInt8,
    };

    // Inert names: allowed as values (dtype tags, layouts, tensor classes), never callable.
    private static readonly HashSet<string> InertGlobals = new(StringComparer.Ordinal)
    {
        "torch.Tensor", "torch.float32", "torch.float", "torch.float16", "torch.half", "torch.bfloat16", "torch.float64",
        "torch.double", "torch.int64", "torch.long", "torch.int32", "torch.int", "torch.int16", "torch.int8", "torch.uint8",
        "torch.bool", "torch.strided", "torch.sparse_coo", "torch.per_tensor_affine", "torch.per_channel_affine",
    };

    /// <summary>
    /// Metadata classes Lightning checkpoints carry outside the weights (hyper_parameters, callbacks): kept as inert
    /// <see cref="PyOpaque"/> records (or dicts, for dict subclasses), never instantiated. An extension of torch's
    /// allowlist so real .ckpt files open; they can never become tensors.
    /// </summary>
    public static readonly IReadOnlySet<string> MetadataClasses = new HashSet<string>(StringComparer.Ordinal)
    {
        "argparse.Namespace", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePosixPath", "pathlib.PureWindowsPath",
        "lightning_fabric.utilities.data.AttributeDict", "lightning.fabric.utilities.data.AttributeDict",
        "pytorch_lightning.utilities.parsing.AttributeDict", "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
        "numpy.dtype", "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct", "numpy.ndarray",
    };

    private static readonly object Mark = new();

    private readonly string path;
    private readonly byte[] data;
    private readonly Dictionary<string, TorchStorage> storages = new(StringComparer.Ordinal);
    private readonly Func<DType, string, long, string, TorchStorage>? storageFactory;
    private int pos;
    private int tensors;

    private RestrictedUnpickler(string path, byte[] data, Func<DType, string, long, string, TorchStorage>? storageFactory)
    {
        this.path = path;
        this.data = data;
        this.storageFactory = storageFactory;
    }

    /// <summary>
    /// Unpickles <paramref name="data"/>. Persistent ids ('storage', type, key, location, numel) are passed to
    /// <paramref name="storageFactory"/> (dtype, key, numel, location); without one, any persistent id is refused.
    /// </summary>
    public static object? Load(string path, byte[] data, Func<DType, string, long, string, TorchStorage>? storageFactory = null)
    {
        if (data.Length > MaxPickleBytes) throw new CheckpointException(path, $"pickle is {data.Length} bytes (limit {MaxPickleBytes})");
        return new RestrictedUnpickler(path, data, storageFactory).Run();
    }

    private CheckpointException Refuse(string message, int at) => new(path, $"pickle refused at byte {at}: {message}");

    private object? Run()
    {
        var stack = new List<object?>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, object?>();
        int opStart = 0;

        object? Pop()
        {
            if (stack.Count == 0 || (marks.Count > 0 && stack.Count <= marks.Peek())) throw Refuse("stack underflow (corrupt pickle)", opStart);
            var v = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            if (ReferenceEquals(v, Mark)) throw Refuse("unexpected MARK on the stack", opStart);
            return v;
        }
        object? Top()
        {
            if (stack.Count == 0) throw Refuse("stack underflow (corrupt pickle)", opStart);
            return stack[^1];
        }
        List<object?> PopMark()
        {
            if (marks.Count == 0) throw Refuse("no MARK for a mark-based opcode (corrupt pickle)", opStart);
            int m = marks.Pop();
            var items = stack.GetRange(m, stack.Count - m);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }
        void Memoize(long key)
        {
            if (memo.Count >= MaxMemo) throw Refuse($"memo grows past {MaxMemo} entries", opStart);
            memo[key] = Top();
        }

        while (true)
        {
            opStart = pos;
            byte op = U8();
            switch (op)
            {
                case 0x80: U8(); break;                                  // PROTO
                case 0x95: Bytes(8); break;                              // FRAME (framing only)
                case (byte)'.':                                          // STOP
                    if (stack.Count != 1 || marks.Count != 0) throw Refuse($"STOP with {stack.Count} values on the stack (corrupt pickle)", opStart);
                    return stack[0];
                case (byte)'(': marks.Push(stack.Count); break;         // MARK
                case (byte)'0': Pop(); break;                            // POP
                case (byte)'1': PopMark(); break;                        // POP_MARK
                case (byte)'2': stack.Add(Top()); break;                 // DUP
                case (byte)'N': stack.Add(null); break;                  // NONE
                case 0x88: stack.Add(true); break;                       // NEWTRUE
                case 0x89: stack.Add(false); break;                      // NEWFALSE
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4))); break;   // BININT
                case (byte)'K': stack.Add((long)U8()); break;                                               // BININT1
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))); break;  // BININT2
                case 0x8a: stack.Add(Long(Bytes(U8()))); break;                                              // LONG1
                case 0x8b: stack.Add(Long(Bytes(Length(BinaryPrimitives.ReadInt32LittleEndian(Bytes(4)))))); break; // LONG4
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8))); break;           // BINFLOAT
                case (byte)'X': stack.Add(Utf8(Bytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))))); break; // BINUNICODE
                case 0x8c: stack.Add(Utf8(Bytes(U8()))); break;                                              // SHORT_BINUNICODE
                case 0x8d: stack.Add(Utf8(Bytes(Length(BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8)))))); break; // BINUNICODE8
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Bytes(U8()))); break;                   // SHORT_BINSTRING
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Bytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))))); break; // BINSTRING
                case (byte)'C': stack.Add(Bytes(U8()).ToArray()); break;                                     // SHORT_BINBYTES
                case (byte)'B': stack.Add(Bytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))).ToArray()); break; // BINBYTES
                case 0x8e: stack.Add(Bytes(Length(BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8)))).ToArray()); break; // BINBYTES8
                case (byte)'}': stack.Add(new PyDict()); break;          // EMPTY_DICT
                case (byte)']': stack.Add(new PyList()); break;          // EMPTY_LIST
                case (byte)')': stack.Add(new PyTuple([])); break;       // EMPTY_TUPLE
                case 0x8f: stack.Add(new PyList()); break;               // EMPTY_SET (a list of members)
                case (byte)'t': stack.Add(new PyTuple(PopMark().ToArray())); break;   // TUPLE
                case 0x85: { var a = Pop(); stack.Add(new PyTuple([a])); break; }    // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new PyTuple([a, b])); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new PyTuple([a, b, c])); break; } // TUPLE3
                case (byte)'l': { var l = new PyList(); l.AddRange(PopMark()); stack.Add(l); break; } // LIST
                case (byte)'d': { var items = PopMark(); var d = new PyDict(); SetItems(d, items, opStart); stack.Add(d); break; } // DICT
                case (byte)'a': { var v = Pop(); AsList(Top(), "APPEND", opStart).Add(v); break; }              // APPEND
                case (byte)'e': { var items = PopMark(); AsList(Top(), "APPENDS", opStart).AddRange(items); break; } // APPENDS
                case 0x90: { var items = PopMark(); AsList(Top(), "ADDITEMS", opStart).AddRange(items); break; }     // ADDITEMS
                case 0x91: { var l = new PyList(); l.AddRange(PopMark()); stack.Add(l); break; }                     // FROZENSET
                case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Top(), "SETITEM", opStart).Set(Key(k, opStart), v); break; } // SETITEM
                case (byte)'u': { var items = PopMark(); SetItems(AsDict(Top(), "SETITEMS", opStart), items, opStart); break; }   // SETITEMS
                case (byte)'h': stack.Add(Get(memo, U8(), opStart)); break;                                             // BINGET
                case (byte)'j': stack.Add(Get(memo, BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)), opStart)); break; // LONG_BINGET
                case (byte)'q': Memoize(U8()); break;                                                                    // BINPUT
                case (byte)'r': Memoize(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))); break;                       // LONG_BINPUT
                case 0x94: Memoize(memo.Count); break;                                                                   // MEMOIZE
                case (byte)'c':                                                                                          // GLOBAL
                    {
                        var module = Line();
                        var name = Line();
                        stack.Add(Global(module, name, opStart));
                        break;
                    }
                case 0x93:                                                                                               // STACK_GLOBAL
                    {
                        var name = Pop() as string;
                        var module = Pop() as string;
                        if (name is null || module is null) throw Refuse("STACK_GLOBAL needs two strings", opStart);
                        stack.Add(Global(module, name, opStart));
                        break;
                    }
                case (byte)'Q':                                                                                          // BINPERSID
                    stack.Add(Persistent(Pop(), opStart));
                    break;
                case (byte)'R':                                                                                          // REDUCE
                    {
                        var args = Pop();
                        var fn = Pop();
                        stack.Add(Reduce(fn, args, opStart));
                        break;
                    }
                case 0x81:                                                                                               // NEWOBJ
                    {
                        var args = Pop();
                        var cls = Pop();
                        stack.Add(NewObj(cls, args, opStart));
                        break;
                    }
                case (byte)'b':                                                                                          // BUILD
                    {
                        var state = Pop();
                        Build(Top(), state, opStart);
                        break;
                    }
                default:
                    throw Refuse($"unsupported pickle opcode 0x{op:X2}{(op is >= 0x20 and < 0x7f ? $" ('{(char)op}'{OpName(op)})" : "")}; "
                        + "only the weights-only subset torch.load(weights_only=True) accepts is allowed", opStart);
            }
        }
    }

    private static string OpName(byte op) => op switch
    {
        (byte)'i' => ", INST", (byte)'o' => ", OBJ", (byte)'P' => ", PERSID", (byte)'I' => ", INT", (byte)'L' => ", LONG",
        (byte)'S' => ", STRING", (byte)'V' => ", UNICODE", (byte)'F' => ", FLOAT", (byte)'g' => ", GET", (byte)'p' => ", PUT",
        _ => "",
    };

    private object Global(string module, string name, int at)
    {
        var full = $"{module}.{name}";
        if (Callables.ContainsKey(full) || StorageTypes.ContainsKey(full) || InertGlobals.Contains(full) || MetadataClasses.Contains(full))
            return new PyGlobal(module, name);
        throw Refuse($"GLOBAL '{module} {name}' is not allowed (not in the weights-only allowlist; nothing was executed)", at);
    }

    private TorchStorage Persistent(object? pid, int at)
    {
        if (pid is not PyTuple { Count: 5 } t || t[0] is not "storage")
            throw Refuse($"persistent id {PickleText.Short(pid)} is not a ('storage', type, key, location, numel) tuple", at);
        if (t[1] is not PyGlobal g || !StorageTypes.TryGetValue(g.ToString(), out var dtype))
            throw Refuse($"persistent id names storage type {PickleText.Short(t[1])}, not a known storage class", at);
        if (t[2] is not string key || t[3] is not string location || t[4] is not long numel || numel < 0)
            throw Refuse($"persistent id {t} is malformed", at);
        if (storageFactory is null) throw Refuse("a persistent id (tensor storage) outside a PyTorch zip archive", at);
        if (storages.TryGetValue(key, out var existing))
        {
            if (existing.DType != dtype || existing.Elements != numel)
                throw Refuse($"storage '{key}' is declared twice with different types ({existing.DType.SafeTensorsName()}×{existing.Elements} vs {dtype.SafeTensorsName()}×{numel})", at);
            return existing;
        }
        var s = storageFactory(dtype, key, numel, location);
        storages[key] = s;
        return s;
    }

    private object? Reduce(object? fn, object? args, int at)
    {
        if (fn is not PyGlobal g) throw Refuse($"REDUCE applied to a {PickleText.TypeOf(fn)} ({PickleText.Short(fn)}), not an allowlisted callable", at);
        if (args is not PyTuple a) throw Refuse($"REDUCE of {g} with arguments {PickleText.TypeOf(args)}, not a tuple", at);
        var full = g.ToString();
        if (MetadataClasses.Contains(full)) return new PyOpaque(g, a);
        if (!Callables.TryGetValue(full, out var kind)) throw Refuse($"REDUCE of {g}, which is not callable under the allowlist", at);
        switch (kind)
        {
            case Callable.OrderedDict:
            case Callable.Dict:
                {
                    var d = new PyDict { TypeName = full };
                    if (a.Count == 1 && a[0] is PyList pairs)
                        foreach (var p in pairs)
                            if (p is PyTuple { Count: 2 } kv) d.Set(Key(kv[0], at), kv[1]);
                            else throw Refuse($"{g} built from a non-pair {PickleText.Short(p)}", at);
                    else if (a.Count != 0) throw Refuse($"{g} called with {a}", at);
                    return d;
                }
            case Callable.RebuildTensorV2:
                return RebuildTensor(a, at);
            case Callable.RebuildParameter:
            case Callable.RebuildParameterWithState:
            case Callable.Parameter:
                if (a.Count < 1 || a[0] is not TorchTensor t) throw Refuse($"{g} expects a tensor first, got {a}", at);
                return t;
            case Callable.RebuildFromTypeV2:
                {
                    // (func, new_type, args, state): only plain tensors/parameters rebuilt by an allowlisted func.
                    if (a.Count != 4 || a[1] is not PyGlobal nt || (nt.ToString() != "torch.Tensor" && nt.ToString() != "torch.nn.parameter.Parameter"))
                        throw Refuse($"_rebuild_from_type_v2 with {a} (only torch.Tensor and Parameter types are accepted)", at);
                    if (a[2] is not PyTuple inner) throw Refuse("_rebuild_from_type_v2 arguments are not a tuple", at);
                    return Reduce(a[0], inner, at);
                }
            case Callable.Size:
                return a.Count == 1 && a[0] is PyTuple size ? size : a;
            case Callable.Device:
                return a.Count >= 1 ? string.Join(":", a.Items.Select(PickleText.Short)) : "cpu";
            case Callable.GetLayout:
                return new PyGlobal("torch", a.Count == 1 && a[0] is string s ? s.Replace("torch.", "", StringComparison.Ordinal) : "strided");
            case Callable.CodecsEncode:
                if (a.Count == 2 && a[0] is string text && a[1] is "latin1" or "latin-1") return Encoding.Latin1.GetBytes(text);
                throw Refuse($"_codecs.encode called with {a}", at);
            case Callable.Set:
                {
                    var l = new PyList();
                    if (a.Count == 1 && a[0] is PyList items) l.AddRange(items);
                    return l;
                }
            case Callable.ByteArray:
                return a.Count == 1 && a[0] is byte[] b ? b : a.Count == 0 ? Array.Empty<byte>() : throw Refuse($"bytearray called with {a}", at);
            default:
                throw Refuse($"REDUCE of {g} is not supported", at);
        }
    }

    private TorchTensor RebuildTensor(PyTuple a, int at)
    {
        if (a.Count < 6 || a[0] is not TorchStorage s || a[1] is not long offset || a[2] is not PyTuple size || a[3] is not PyTuple stride)
            throw Refuse($"_rebuild_tensor_v2 called with {a}; expected (storage, offset, size, stride, requires_grad, hooks)", at);
        if (a[5] is PyDict { Count: > 0 }) throw Refuse("_rebuild_tensor_v2 with backward hooks (not allowed)", at);
        if (++tensors > MaxTensors) throw Refuse($"more than {MaxTensors} tensors", at);
        var sz = new long[size.Count];
        var st = new long[stride.Count];
        if (sz.Length != st.Length) throw Refuse($"tensor size {size} and stride {stride} differ in rank", at);
        for (int i = 0; i < sz.Length; i++)
        {
            if (size[i] is not long x || x < 0 || stride[i] is not long y || y < 0)
                throw Refuse($"tensor size {size} / stride {stride} must be non-negative integers", at);
            sz[i] = x;
            st[i] = y;
        }
        // Bounds before any allocation: the furthest element must lie inside the storage.
        try
        {
            long elements = 1, last = offset;
            for (int i = 0; i < sz.Length; i++)
            {
                elements = checked(elements * sz[i]);
                if (sz[i] > 0) last = checked(last + (sz[i] - 1) * st[i]);
            }
            if (offset < 0 || (elements > 0 && last >= s.Elements))
                throw Refuse($"tensor view (offset {offset}, size {size}, stride {stride}) reaches element {last} of storage '{s.Key}' which has {s.Elements}", at);
        }
        catch (OverflowException)
        {
            throw Refuse($"tensor view (offset {offset}, size {size}, stride {stride}) overflows", at);
        }
        return new TorchTensor(s, offset, sz, st);
    }

    private object? NewObj(object? cls, object? args, int at)
    {
        if (cls is not PyGlobal g) throw Refuse($"NEWOBJ of a {PickleText.TypeOf(cls)}, not an allowlisted class", at);
        var full = g.ToString();
        if (full.EndsWith("AttributeDict", StringComparison.Ordinal)) return new PyDict { TypeName = full };
        if (MetadataClasses.Contains(full)) return new PyOpaque(g, args);
        if (full is "collections.OrderedDict" or "collections.Counter") return new PyDict { TypeName = full };
        if (full == "torch.nn.parameter.Parameter" && args is PyTuple { Count: >= 1 } a && a[0] is TorchTensor t) return t;
        throw Refuse($"NEWOBJ of {g} is not allowed", at);
    }

    private void Build(object? target, object? state, int at)
    {
        switch (target)
        {
            case PyDict: return;          // OrderedDict state (e.g. state_dict()._metadata): ignored
            case TorchTensor: return;     // tensor python state (requires_grad, hooks): irrelevant to the values
            case PyOpaque o: o.State = state; return;
            default: throw Refuse($"BUILD on a {PickleText.TypeOf(target)} is not allowed", at);
        }
    }

    private PyList AsList(object? o, string op, int at) => o as PyList ?? throw Refuse($"{op} on a {PickleText.TypeOf(o)}, not a list", at);

    private PyDict AsDict(object? o, string op, int at) => o as PyDict ?? throw Refuse($"{op} on a {PickleText.TypeOf(o)}, not a dict", at);

    private void SetItems(PyDict d, List<object?> items, int at)
    {
        if (items.Count % 2 != 0) throw Refuse("SETITEMS with an odd number of values", at);
        for (int i = 0; i < items.Count; i += 2) d.Set(Key(items[i], at), items[i + 1]);
    }

    private object? Key(object? k, int at) => k is null or string or long or bool or double or BigInteger or PyTuple
        ? k
        : throw Refuse($"dict key of type {PickleText.TypeOf(k)} is not hashable here", at);

    private object? Get(Dictionary<long, object?> memo, long key, int at) =>
        memo.TryGetValue(key, out var v) ? v : throw Refuse($"memo key {key} was never stored (corrupt pickle)", at);

    private byte U8()
    {
        if (pos >= data.Length) throw Refuse("pickle ends without STOP (truncated)", pos);
        return data[pos++];
    }

    private int Length(long n) => n < 0 || n > data.Length - pos
        ? throw Refuse($"a {n}-byte field runs past the end of the {data.Length}-byte pickle", pos)
        : (int)n;

    private int Length(ulong n) => n > (ulong)(data.Length - pos) ? throw Refuse($"a {n}-byte field runs past the end of the pickle", pos) : (int)n;

    private ReadOnlySpan<byte> Bytes(int n)
    {
        if (n > data.Length - pos) throw Refuse($"a {n}-byte field runs past the end of the {data.Length}-byte pickle (truncated)", pos);
        var s = data.AsSpan(pos, n);
        pos += n;
        return s;
    }

    private string Line()
    {
        int end = Array.IndexOf(data, (byte)'\n', pos);
        if (end < 0 || end - pos > 256) throw Refuse("GLOBAL name is not a newline-terminated line", pos);
        var s = Encoding.ASCII.GetString(data, pos, end - pos);
        pos = end + 1;
        return s;
    }

    private string Utf8(ReadOnlySpan<byte> b)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(b);
        }
        catch (DecoderFallbackException)
        {
            throw Refuse("string is not valid UTF-8", pos);
        }
    }

    private static object Long(ReadOnlySpan<byte> b)
    {
        if (b.Length == 0) return 0L;
        var v = new BigInteger(b, isUnsigned: false, isBigEndian: false);
        return v >= long.MinValue && v <= long.MaxValue ? (long)v : v;
    }
}
