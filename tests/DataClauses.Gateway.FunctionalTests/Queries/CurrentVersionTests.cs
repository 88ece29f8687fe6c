using System.Net;
using DataClauses.Gateway.FunctionalTests.Catalog;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>
/// A query without a version uses the current one (docs/queries.md): a newly published version is current at once on
/// the node that published it, and on another replica within the second that node remembers the current version.
/// </summary>
public abstract class CurrentVersionTests
{
    private const string NewVersion = "2025-12-31";

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task New_version_is_current_at_once_where_it_was_published_and_within_a_second_on_another_replica()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        await using var publishingNode = await QueryHosts.StartAsync(Provider, database);
        await using var otherNode = await QueryHosts.StartAsync(Provider, database);
        using var analystHere = await publishingNode.ClientForAsync("epci-demo", "analyst");
        using var analystThere = await otherNode.ClientForAsync("epci-demo", "analyst");
        using var publisher = await publishingNode.ClientForAsync("caf-44", "publisher");
        (await CurrentVersionAsync(analystHere)).ShouldBe(QueryHosts.CafVersion);
        (await CurrentVersionAsync(analystThere)).ShouldBe(QueryHosts.CafVersion);

        using var upload = await Publishing.UploadAsync(publisher, QueryHosts.Caf, NewVersion, Publishing.ValidCsv(QueryHosts.Caf, 300));
        upload.StatusCode.ShouldBe(HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());

        (await CurrentVersionAsync(analystHere)).ShouldBe(NewVersion, "the publishing node forgets its current version at once");
        (await CurrentVersionAsync(analystThere)).ShouldBe(QueryHosts.CafVersion, "the other node's clock has not moved: within its second");
        otherNode.Clock.Advance(TimeSpan.FromMilliseconds(1100));
        (await CurrentVersionAsync(analystThere)).ShouldBe(NewVersion);
        (await QueryHosts.QueryOkAsync(analystThere, QueryHosts.CafByQpvAndType(QueryHosts.CafVersion))).GetProperty("version").GetString()
            .ShouldBe(QueryHosts.CafVersion, "a named version is still answered");
    }

    private static async Task<string?> CurrentVersionAsync(HttpClient analyst) =>
        (await QueryHosts.QueryOkAsync(analyst, QueryHosts.CafByQpvAndType(version: null))).GetProperty("version").GetString();
}

public sealed class CurrentVersionTests_on_Sqlite : CurrentVersionTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class CurrentVersionTests_on_PostgreSql : CurrentVersionTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
