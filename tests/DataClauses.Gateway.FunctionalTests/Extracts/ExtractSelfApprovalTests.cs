using System.Net;
using System.Net.Http.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Extracts.ExtractHosts;

namespace DataClauses.Gateway.FunctionalTests.Extracts;

/// <summary>
/// A requester who is also a steward of the provider still cannot approve their own request: a contract where the CAF
/// is a recipient of its own clause, and a CAF client holding both the analyst and the steward roles.
/// </summary>
public abstract class ExtractSelfApprovalTests
{
    private const string CafRecipients = "    recipients:\n      organisations: [epci-demo]\n      kinds: [state]\n      roles: [analyst]\n    purposes: [observation, evaluation, diagnostic]";

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Requester_who_is_also_a_steward_of_the_provider_cannot_approve_their_own_request_but_another_steward_can()
    {
        var policies = PoliciesWith(text => text.Replace(CafRecipients, CafRecipients.Replace("[epci-demo]", "[epci-demo, caf-44]", StringComparison.Ordinal), StringComparison.Ordinal));
        try
        {
            await using var host = await StartAsync(Provider, policies: policies);
            using var admin = await host.ClientForAsync("caf-44", "admin");
            using var created = await admin.PostAsJsonAsync("api/v1/admin/clients", new { clientId = "caf-44-etudes", roles = new[] { "analyst", "steward" } });
            created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            var secret = (await GatewayHost.JsonOf(created)).GetProperty("clientSecret").GetString()!;
            using var both = host.WithToken(await host.GetTokenAsync("caf-44-etudes", secret));
            var id = IdOf(await RequestOkAsync(both, Body([CafTable()])));

            // Their own request is in their organisation's queue, but not awaiting them.
            var queued = (await both.GetFromJsonAsync<System.Text.Json.JsonElement>($"{ExtractsPath}/queue")).GetProperty("extracts").EnumerateArray().Single(e => IdOf(e) == id);
            queued.GetProperty("awaitingYou").GetBoolean().ShouldBeFalse();
            using (var approve = await VoteAsync(both, id, "approve"))
            {
                await approve.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "self-approval");
            }

            using (var reject = await VoteAsync(both, id, "reject", "Je retire ma demande."))
            {
                await reject.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "self-approval");
            }

            StatusOf(await GetOkAsync(both, id)).ShouldBe("pending-approval");
            using var steward = await host.ClientForAsync("caf-44", "steward");
            StatusOf(await VoteOkAsync(steward, id, "approve")).ShouldBe("approved");
            (await AuditOfAsync(host, id)).Where(e => e.Action == "extract.vote-refused").Select(e => e.Details["vote"]).ShouldBe(["approve", "reject"]);
        }
        finally
        {
            Directory.Delete(policies, recursive: true);
        }
    }
}

public sealed class ExtractSelfApprovalTests_on_Sqlite : ExtractSelfApprovalTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class ExtractSelfApprovalTests_on_PostgreSql : ExtractSelfApprovalTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
