using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace DataClauses.Gateway.Catalog;

/// <summary>How a column is stored in a version's typed table.</summary>
internal enum ColumnKind
{
    /// <summary>Text: geo codes and dimension values (canonical, exactly a contract value).</summary>
    Text,

    /// <summary>A 64-bit integer (integer measures).</summary>
    Integer,

    /// <summary>A double-precision number (number measures).</summary>
    Number,

    /// <summary>The unit identifier, stored as text: the lowercase hex HMAC-SHA256 of its canonical bytes.</summary>
    UnitId,
}

/// <summary>
/// Validated rows on their way to the database, column by column (typed arrays: no boxing, no string per value).
/// Rows are written at index <see cref="Count"/> and kept by incrementing it, so that a row with an error is simply
/// overwritten. Unit identifiers arrive as bytes and are hashed by <see cref="UnitIdHasher"/> on the way out.
/// </summary>
internal sealed class RowBatch
{
    /// <summary>Hex digits of one hashed unit identifier.</summary>
    public const int HexLength = 64;

    private readonly int[] _unitIdEnds;
    private byte[] _unitIdBytes = new byte[4096];

    /// <summary>Creates a batch for columns of the given kinds.</summary>
    public RowBatch(IReadOnlyList<ColumnKind> kinds, int capacity = 4096)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        Capacity = capacity;
        Kinds = [.. kinds];
        Text = new string?[Kinds.Length][];
        TextUtf8 = new byte[]?[Kinds.Length][];
        Integers = new long[Kinds.Length][];
        Numbers = new double[Kinds.Length][];
        Nulls = new bool[Kinds.Length][];
        UnitIdColumn = Array.IndexOf(Kinds, ColumnKind.UnitId);
        for (var i = 0; i < Kinds.Length; i++)
        {
            Nulls[i] = new bool[capacity];
            switch (Kinds[i])
            {
                case ColumnKind.Text:
                    Text[i] = new string?[capacity];
                    TextUtf8[i] = new byte[]?[capacity];
                    break;
                case ColumnKind.Integer:
                    Integers[i] = new long[capacity];
                    break;
                case ColumnKind.Number:
                    Numbers[i] = new double[capacity];
                    break;
            }
        }

        _unitIdEnds = new int[capacity];
        UnitIdHex = UnitIdColumn >= 0 ? new byte[capacity * HexLength] : [];
    }

    /// <summary>Rows kept.</summary>
    public int Count { get; set; }

    /// <summary>Rows it can hold.</summary>
    public int Capacity { get; }

    /// <summary>True when no more rows fit.</summary>
    public bool IsFull => Count >= Capacity;

    /// <summary>Column kinds, in the table's column order.</summary>
    public ColumnKind[] Kinds { get; }

    /// <summary>Text values by column (null arrays for other kinds); a null value is SQL NULL.</summary>
    public string?[][] Text { get; }

    /// <summary>
    /// The UTF-8 bytes of text values when known without encoding (the allowed list's own copy), else null: the
    /// PostgreSQL sink copies them instead of encoding every value again.
    /// </summary>
    public byte[]?[][] TextUtf8 { get; }

    /// <summary>Integer values by column.</summary>
    public long[][] Integers { get; }

    /// <summary>Number values by column.</summary>
    public double[][] Numbers { get; }

    /// <summary>SQL NULL flags for integer and number columns.</summary>
    public bool[][] Nulls { get; }

    /// <summary>The unit identifier column (-1 when none).</summary>
    public int UnitIdColumn { get; }

    /// <summary>The hashed unit identifiers as ASCII hex, <see cref="HexLength"/> bytes per row (after <see cref="UnitIdHasher.Hash(RowBatch)"/>).</summary>
    public byte[] UnitIdHex { get; }

    /// <summary>Keeps a row's unit identifier bytes (to be hashed later, off the parsing thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SetUnitId(int row, ReadOnlySpan<byte> bytes)
    {
        // Rows are written in order, and a rejected row is rewritten at the same index: start after the previous row.
        var start = row == 0 ? 0 : _unitIdEnds[row - 1];
        if (start + bytes.Length > _unitIdBytes.Length)
        {
            Array.Resize(ref _unitIdBytes, Math.Max(_unitIdBytes.Length * 2, start + bytes.Length));
        }

        bytes.CopyTo(_unitIdBytes.AsSpan(start));
        _unitIdEnds[row] = start + bytes.Length;
    }

    /// <summary>A row's unit identifier bytes, as given.</summary>
    public ReadOnlySpan<byte> UnitIdBytes(int row)
    {
        var start = row == 0 ? 0 : _unitIdEnds[row - 1];
        return _unitIdBytes.AsSpan(start, _unitIdEnds[row] - start);
    }

    /// <summary>A row's hashed unit identifier (ASCII hex).</summary>
    public ReadOnlySpan<byte> UnitIdHash(int row) => UnitIdHex.AsSpan(row * HexLength, HexLength);
}

/// <summary>
/// Hashes unit identifiers with HMAC-SHA256 under the dataset's secret key, into lowercase hex: the same unit
/// gets the same value in every version (the key is kept across schema changes), and the value cannot be traced
/// back to the identifier without the key, which never leaves the database.
/// </summary>
internal sealed class UnitIdHasher(byte[] key) : IDisposable
{
    private readonly IncrementalHash _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);

    /// <summary>Hashes every row's unit identifier of the batch.</summary>
    public void Hash(RowBatch batch) => Hash(batch, 0, batch?.Count ?? 0);

    /// <summary>Hashes the unit identifiers of rows <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Hash(RowBatch batch, int from, int to)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.UnitIdColumn < 0)
        {
            return;
        }

        Span<byte> hash = stackalloc byte[32];
        for (var row = from; row < to; row++)
        {
            var id = batch.UnitIdBytes(row);
            var hex = batch.UnitIdHex.AsSpan(row * RowBatch.HexLength, RowBatch.HexLength);

            // Files are often sorted by unit, one row per category: the same unit on consecutive rows is hashed once.
            if (row > from && id.SequenceEqual(batch.UnitIdBytes(row - 1)))
            {
                batch.UnitIdHex.AsSpan((row - 1) * RowBatch.HexLength, RowBatch.HexLength).CopyTo(hex);
                continue;
            }

            _hmac.AppendData(id);
            _hmac.GetHashAndReset(hash);
            Convert.TryToHexStringLower(hash, hex, out _);
        }
    }

    /// <summary>Releases the HMAC state.</summary>
    public void Dispose() => _hmac.Dispose();
}
