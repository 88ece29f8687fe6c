using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using DataClauses.Gateway.Catalog;

namespace DataClauses.Benchmarks;

/// <summary>
/// The import's costliest step, hashing unit identifiers (docs/BENCHMARKS.md, "Dataset import"): the gateway's
/// <see cref="UnitIdHasher"/> over a batch of 4,096 distinct identifiers, against the two ways .NET offers to compute
/// the same HMAC-SHA256 (a reused <see cref="IncrementalHash"/>, one native call per append and per final; the one-shot
/// <see cref="HMACSHA256.HashData(byte[], byte[])"/>, one native call per identifier). Each native call into OpenSSL
/// pays a fixed overhead (error queue clearing, allocation) that dominates for 8-byte inputs.
/// </summary>
[MemoryDiagnoser]
public class UnitIdHashBenchmarks
{
    private const int Rows = 4096;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private byte[][] _ids = [];
    private RowBatch _batch = null!;
    private UnitIdHasher _hasher = null!;
    private IncrementalHash _incremental = null!;
    private readonly byte[] _hash = new byte[32];

    /// <summary>Fills one batch with distinct identifiers shaped like the demo's (<c>F0000001</c>).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _ids = [.. Enumerable.Range(1, Rows).Select(i => Encoding.ASCII.GetBytes($"F{i:D7}"))];
        _batch = new RowBatch([ColumnKind.UnitId, ColumnKind.Text], Rows);
        for (var row = 0; row < Rows; row++)
        {
            _batch.SetUnitId(row, _ids[row]);
        }

        _batch.Count = Rows;
        _hasher = new UnitIdHasher(_key);
        _incremental = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
    }

    /// <summary>Releases the HMAC states.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _hasher.Dispose();
        _incremental.Dispose();
    }

    /// <summary>The gateway's hasher, hex output included.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Rows)]
    public void Gateway() => _hasher.Hash(_batch);

    /// <summary>A reused IncrementalHash: append, then final-and-reset.</summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public void Incremental()
    {
        foreach (var id in _ids)
        {
            _incremental.AppendData(id);
            _incremental.GetHashAndReset(_hash);
        }
    }

    /// <summary>The one-shot static HMAC.</summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public void OneShot()
    {
        foreach (var id in _ids)
        {
            HMACSHA256.HashData(_key, id, _hash);
        }
    }
}
