using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using static DataClauses.Gateway.FunctionalTests.Extracts.ExtractHosts;

namespace DataClauses.Gateway.FunctionalTests.Hostile;

/// <summary>
/// Four-eyes approval means two people (issue 12): an organisation's admin who creates two steward clients still
/// counts as one person until another person confirms who the second one is for; creating approvers is audited and
/// visible to the organisation; revoked tokens cannot vote.
/// </summary>
public abstract class FourEyesPeopleTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Two_steward_clients_created_by_one_admin_count_as_one_person_until_another_person_confirms_the_second()
    {
        // The CAF clause needs four-eyes approval here (steward in the demo).
        var policies = PoliciesWith(text =>
        {
            var at = text.IndexOf("\n    approval: steward", StringComparison.Ordinal);
            return text[..at] + "\n    approval: four-eyes" + text[(at + "\n    approval: steward".Length)..];
        });
        try
        {
            await using var host = await StartAsync(Provider, policies: policies);
            using var admin = await host.ClientForAsync("caf-44", "admin");
            using var first = host.WithToken(await CreateStewardAsync(host, admin, "caf-44-approver-1", person: null));
            using var second = host.WithToken(await CreateStewardAsync(host, admin, "caf-44-approver-2", person: "bob@caf-44"));

            // Creating approvers is visible: who created them, for whom, whom they count as.
            var listed = (await admin.GetFromJsonAsync<JsonElement>("api/v1/admin/clients")).EnumerateArray().Single(c => c.GetProperty("clientId").GetString() == "caf-44-approver-2");
            listed.GetProperty("person").GetString().ShouldBe("bob@caf-44");
            listed.GetProperty("createdBy").GetString().ShouldBe("admin@caf-44");
            listed.GetProperty("actsFor").GetString().ShouldBe("admin@caf-44");
            var created = (await host.ReadAuditAsync()).Select(r => r.Event).Last(e => e.Action == "client.created");
            created.Details["roles"].ShouldBe("steward");
            created.Details["createdBy"].ShouldBe("admin@caf-44");

            using var analyst = await host.ClientForAsync("epci-demo", "analyst");
            var id = IdOf(await RequestOkAsync(analyst, Body([CafTable()])));
            StatusOf(await VoteOkAsync(first, id, "approve")).ShouldBe("pending-approval");

            using (var samePerson = await VoteAsync(second, id, "approve"))
            {
                await samePerson.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "same-person");
            }

            StatusOf(await GetOkAsync(analyst, id)).ShouldBe("pending-approval");
            (await ActionsOfAsync(host, id)).ShouldContain("extract.vote-refused");

            // The admin cannot vouch for a client they created; the organisation's DPO (another person) can.
            using (var selfConfirm = await admin.PostAsync("api/v1/admin/clients/caf-44-approver-2/confirm", null))
            {
                await selfConfirm.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "same-person");
            }

            using var dpo = await host.ClientForAsync("caf-44", "dpo");
            using (var confirmed = await dpo.PostAsync("api/v1/admin/clients/caf-44-approver-2/confirm", null))
            {
                var view = await GatewayHost.JsonOf(confirmed);
                confirmed.StatusCode.ShouldBe(HttpStatusCode.OK, view.ToString());
                view.GetProperty("actsFor").GetString().ShouldBe("bob@caf-44");
                view.GetProperty("confirmedBy").GetString().ShouldBe("dpo@caf-44");
            }

            StatusOf(await VoteOkAsync(second, id, "approve")).ShouldBe("approved");
        }
        finally
        {
            Directory.Delete(policies, recursive: true);
        }
    }

    [Fact]
    public async Task A_rejection_comment_in_invalid_text_is_a_400_and_a_disabled_stewards_token_cannot_vote()
    {
        await using var host = await StartAsync(Provider);
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");
        var id = IdOf(await RequestOkAsync(analyst, Body([CafTable()])));
        using var steward = await host.ClientForAsync("caf-44", "steward");

        using (var invalid = await HostileRequests.SendAsync(steward, HttpMethod.Post, $"{ExtractsPath}/{id}/reject", HostileRequests.Bytes("""{"comment":"Non ¤"}""")))
        {
            (await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid-json")).GetProperty("field").GetString().ShouldBe("comment");
        }

        using var admin = await host.ClientForAsync("caf-44", "admin");
        using (var disabled = await admin.PostAsync("api/v1/admin/clients/caf-44-steward/disable", null))
        {
            disabled.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var refused = await VoteAsync(steward, id, "approve"))
        {
            await refused.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "token-revoked");
        }

        StatusOf(await GetOkAsync(analyst, id)).ShouldBe("pending-approval");
    }

    private static async Task<string> CreateStewardAsync(GatewayHost host, HttpClient admin, string clientId, string? person)
    {
        using var created = await admin.PostAsJsonAsync("api/v1/admin/clients", new { clientId, roles = new[] { "steward" }, person });
        var body = await GatewayHost.JsonOf(created);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, body.ToString());
        return await host.GetTokenAsync(clientId, body.GetProperty("clientSecret").GetString()!);
    }
}

public sealed class FourEyesPeopleTests_on_Sqlite : FourEyesPeopleTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class FourEyesPeopleTests_on_PostgreSql : FourEyesPeopleTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
