using System.Net;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Extracts.ExtractHosts;

namespace DataClauses.Gateway.FunctionalTests.Extracts;

/// <summary>
/// <c>atEnd: anonymise</c> as documented (policies/README.md): the gateway keeps no anonymised copy; at the deadline
/// it deletes the extract's files exactly as for <c>atEnd: delete</c>.
/// </summary>
public sealed class ExtractAnonymiseTests
{
    [Fact]
    public async Task Extract_under_an_anonymise_clause_has_its_files_deleted_at_the_deadline_not_kept_anonymised()
    {
        var policies = PoliciesWith(text => text.Replace("retention: { max: P6M, atEnd: delete }", "retention: { max: P6M, atEnd: anonymise }", StringComparison.Ordinal));
        var clock = new TestClock(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        await using var host = await StartAsync(StorageProvider.Sqlite, clock: clock, policies: policies);
        string id;
        using (var analyst = await host.ClientForAsync("epci-demo", "analyst"))
        {
            var requested = await RequestOkAsync(analyst, Body([FtTable()], retention: "P1M"));
            requested.GetProperty("retentionDeadline").GetString().ShouldBe("2026-04-02T09:00:00.000Z");
            (await host.Jobs().RunOnceAsync()).Produced.ShouldBe(1);
            id = IdOf(requested);
        }

        (await FileRowsAsync(host.Database, id)).ShouldBeGreaterThan(0);
        clock.MoveTo(new DateTimeOffset(2026, 4, 2, 9, 0, 0, TimeSpan.Zero));
        var pass = await host.Jobs().RunOnceAsync();

        pass.Purged.ShouldBe(1);
        (await FileRowsAsync(host.Database, id)).ShouldBe(0, "no anonymised copy is kept: the files are deleted");
        using var client = await host.ClientForAsync("epci-demo", "analyst");
        var purged = await GetOkAsync(client, id);
        StatusOf(purged).ShouldBe("purged");
        purged.GetProperty("files").GetArrayLength().ShouldBe(0);
        using var gone = await DownloadAsync(client, id, "csv");
        await gone.ShouldBeProblemAsync(HttpStatusCode.Gone, "extract-purged");
    }
}
