using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using DataClauses.Audit;
using DataClauses.Benchmarks.Audit;

namespace DataClauses.Benchmarks;

/// <summary>
/// Verification of 1,000,000 sealed events in memory (goal: at most 5 s), with and without 1,000 signed checkpoints
/// (one per 1,000 events, as an hourly checkpoint of a busy node would give). Hashing is spread over the cores chunk by
/// chunk; the first bad position is still judged in order.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class AuditVerifyBenchmarks
{
    private const int Events = 1_000_000;
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private List<StoredAuditRow> _rows = [];
    private List<AuditCheckpoint> _checkpoints = [];

    [GlobalSetup]
    public void Setup()
    {
        _rows = new List<StoredAuditRow>(Events);
        var previous = AuditChain.GenesisHash;
        for (var i = 1; i <= Events; i++)
        {
            var sealedEvent = AuditChain.Seal(i, previous, AuditAppendBenchmark.Event(i % 64, i));
            _rows.Add(new StoredAuditRow(sealedEvent.Sequence, sealedEvent.PreviousHash, sealedEvent.Hash, sealedEvent.Canonical));
            previous = sealedEvent.Hash;
        }

        _checkpoints = [.. Enumerable.Range(1, Events / 1000).Select(k => AuditCheckpoint.Sign("epci-demo", k * 1000L, _rows[(k * 1000) - 1].Hash, DateTimeOffset.UnixEpoch.AddHours(k), "k1", _key))];
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark]
    public AuditVerification Verify_one_million_events() => Check(AuditVerifier.Verify(_rows));

    [Benchmark]
    public AuditVerification Verify_one_million_events_and_a_thousand_checkpoints() => Check(AuditVerifier.Verify(_rows, _checkpoints, kid => kid == "k1" ? _key : null));

    private static AuditVerification Check(AuditVerification result) =>
        result.Intact && result.EventsChecked == Events ? result : throw new InvalidOperationException(result.Detail ?? "not every event was checked");
}
