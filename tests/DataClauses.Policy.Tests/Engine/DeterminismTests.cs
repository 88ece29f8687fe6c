using DataClauses.Policy.Engine;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>The engine is a pure function of (contracts, request, instant), and cheap on the permit path.</summary>
public sealed class DeterminismTests
{
    private static readonly DecisionRequest[] Requests =
    [
        Demo.CafQuery,
        Demo.FtExtract,
        Demo.CafQuery with { Action = PolicyAction.Extract, Retention = Demo.Duration("P2Y") },
        Demo.CafQuery with { Purpose = "profiling" },
        Demo.CafQuery with { Dimensions = ["qpv", "age"], Measures = ["x"], Purpose = "marketing", Requester = new Requester("x", "ft-pdl", []) },
        Demo.FtExtract with { Requester = new Requester("c", "caf-44", ["analyst"]), Purpose = "statistique", Dimensions = ["commune"] },
    ];

    public static TheoryData<int> RequestIndexes() => [.. Enumerable.Range(0, Requests.Length)];

    [Theory]
    [MemberData(nameof(RequestIndexes))]
    public void Deciding_the_same_request_twice_gives_the_same_decision(int index)
    {
        var first = DecisionJson.ToJson(Demo.Decide(Requests[index]));
        var second = DecisionJson.ToJson(Demo.Decide(Requests[index]));

        second.ShouldBe(first);
    }

    [Fact]
    public void A_contract_set_built_twice_from_the_same_files_decides_alike()
    {
        var again = DataClauses.Policy.Loading.ContractLoader.Load([Paths.DemoContract]).ToContractSet();

        foreach (var request in Requests)
        {
            DecisionJson.ToJson(DecisionEngine.Decide(again, request, Demo.March2025)).ShouldBe(DecisionJson.ToJson(Demo.Decide(request)));
        }
    }

    [Fact]
    public void The_same_instant_written_with_another_offset_gives_the_same_decision()
    {
        // 31 January 01:00 in Paris is 30 January 23:00 UTC: one month later is 28 February in one calendar and
        // 27 February in the other, unless the engine counts in UTC.
        var request = Demo.FtExtract with { Retention = Demo.Duration("P1M") };
        var utc = new DateTimeOffset(2025, 1, 30, 23, 0, 0, TimeSpan.Zero);
        var paris = new DateTimeOffset(2025, 1, 31, 1, 0, 0, TimeSpan.FromHours(2));

        var inUtc = DecisionEngine.Decide(Demo.Contracts, request, utc);
        var inParis = DecisionEngine.Decide(Demo.Contracts, request, paris);

        DecisionJson.ToJson(inParis).ShouldBe(DecisionJson.ToJson(inUtc));
        inUtc.RetentionDeadline.ShouldBe(new DateTimeOffset(2025, 2, 28, 23, 0, 0, TimeSpan.Zero));
        inUtc.RetentionDeadline!.Value.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void Deciding_a_permitted_query_allocates_nothing_but_the_decision()
    {
        const int count = 1000;
        Demo.Decide(Demo.CafQuery).Effect.ShouldBe(Effect.Permit);
        Demo.Decide(Demo.FtExtract).Effect.ShouldBe(Effect.Permit);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++)
        {
            DecisionEngine.Decide(Demo.Contracts, Demo.CafQuery, Demo.March2025);
            DecisionEngine.Decide(Demo.Contracts, Demo.FtExtract, Demo.March2025);
        }

        var perDecision = (GC.GetAllocatedBytesForCurrentThread() - before) / (2.0 * count);

        // One Decision object (header, five references and a nullable instant) is well under 128 bytes.
        perDecision.ShouldBeLessThan(128);
    }
}
