using System.Runtime.CompilerServices;
using System.Text;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// A closed set of strings (geo codes, dimension values) looked up by their UTF-8 bytes, returning the set's own
/// string instance: checking and storing a value allocates nothing and decodes nothing. Open addressing over an
/// FNV-1a hash; every hit is confirmed byte for byte.
/// </summary>
internal sealed class Utf8Lookup
{
    private readonly byte[][] _keys;
    private readonly string[] _values;
    private readonly int[] _slots;
    private readonly int _mask;

    /// <summary>Builds the set (duplicates are ignored).</summary>
    public Utf8Lookup(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var distinct = values.Distinct(StringComparer.Ordinal).ToArray();
        _values = distinct;
        _keys = [.. distinct.Select(v => Encoding.UTF8.GetBytes(v))];
        var size = 8;
        while (size < distinct.Length * 2)
        {
            size *= 2;
        }

        _slots = new int[size];
        _mask = size - 1;
        for (var i = 0; i < _keys.Length; i++)
        {
            var slot = (int)(Hash(_keys[i]) & (uint)_mask);
            while (_slots[slot] != 0)
            {
                slot = (slot + 1) & _mask;
            }

            _slots[slot] = i + 1;
        }
    }

    /// <summary>The values, in the order given.</summary>
    public IReadOnlyList<string> Values => _values;

    /// <summary>Finds the value whose UTF-8 bytes are <paramref name="utf8"/>.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> utf8, out string value) => TryGetValue(utf8, out value, out _);

    /// <summary>Finds the value whose UTF-8 bytes are <paramref name="utf8"/>, with the set's own copy of those bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGetValue(ReadOnlySpan<byte> utf8, out string value, out byte[] bytes)
    {
        var slot = (int)(Hash(utf8) & (uint)_mask);
        while (true)
        {
            var entry = _slots[slot];
            if (entry == 0)
            {
                value = string.Empty;
                bytes = [];
                return false;
            }

            if (utf8.SequenceEqual(_keys[entry - 1]))
            {
                value = _values[entry - 1];
                bytes = _keys[entry - 1];
                return true;
            }

            slot = (slot + 1) & _mask;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
