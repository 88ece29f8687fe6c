using System.Net;
using System.Text;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// The gateway process killed (SIGKILL) in the middle of an upload, then started again on the same database:
/// nothing of the upload is visible or left over — no version, no dv_ table, no spooled file — and the same version
/// can then be published.
/// </summary>
public abstract class GatewayKilledDuringUploadTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Gateway_killed_in_the_middle_of_an_upload_restarts_with_no_version_no_table_and_no_spooled_file()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        string version = "2024-12-31";
        await using (var first = await GatewayProcess.StartAsync(database))
        {
            using var publisher = await first.ClientForAsync("caf-44", "publisher");
            using (var declared = await publisher.PutAsync($"api/v1/datasets/{Publishing.Caf}", new StringContent(Publishing.Schemas[Publishing.Caf], Encoding.UTF8, "application/json")))
            {
                declared.StatusCode.ShouldBe(HttpStatusCode.Created, await declared.Content.ReadAsStringAsync());
            }

            using var content = new StalledCsvContent(Publishing.Caf, 12_000);
            using var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/datasets/{Publishing.Caf}/versions/{version}") { Content = content };
            using var cancel = new CancellationTokenSource();
            var sending = publisher.SendAsync(request, cancel.Token);
            await content.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await Poll.UntilAsync(() => Poll.ImportInProgressAsync(database), "the gateway process to be importing the upload");

            await first.KillAsync();

            // The stalled client would wait for an answer that never comes: it gives up.
            await cancel.CancelAsync();
            await Should.ThrowAsync<OperationCanceledException>(() => sending);
        }

        // PostgreSQL rolls back the dead process's transaction, DDL included, as soon as its sessions end.
        await Poll.UntilAsync(() => Poll.NoOtherSessionAsync(database), "PostgreSQL to end the killed gateway's sessions");
        (await Publishing.VersionTablesAsync(database)).ShouldBeEmpty();

        await using var second = await GatewayProcess.StartAsync(database);

        (await Publishing.StoredVersionsAsync(database, Publishing.Caf)).ShouldBeEmpty();
        (await Publishing.VersionTablesAsync(database)).ShouldBeEmpty();
        Publishing.SpooledUploads(database).ShouldBeEmpty(second.Output);
        using var again = await second.ClientForAsync("caf-44", "publisher");
        using (var versions = await again.GetAsync($"api/v1/datasets/{Publishing.Caf}/versions/{version}"))
        {
            await versions.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        }

        using (var republished = await Publishing.UploadAsync(again, Publishing.Caf, version, Publishing.ValidCsv(Publishing.Caf, 10)))
        {
            republished.StatusCode.ShouldBe(HttpStatusCode.Created, await republished.Content.ReadAsStringAsync());
        }

        (await Publishing.CountRowsAsync(database, Publishing.Caf, version)).ShouldBe(10);
        var verification = DataClauses.Audit.AuditVerifier.Verify((await database.ReadAuditAsync()).Select(r => r.Row));
        verification.Intact.ShouldBeTrue(verification.Detail);
    }
}

public sealed class GatewayKilledDuringUploadTests_on_Sqlite : GatewayKilledDuringUploadTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class GatewayKilledDuringUploadTests_on_PostgreSql : GatewayKilledDuringUploadTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
