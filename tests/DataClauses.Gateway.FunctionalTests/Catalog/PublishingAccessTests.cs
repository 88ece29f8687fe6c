using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// Role × organisation on every publishing and catalogue endpoint (docs/publishing.md §1), for every demo account
/// and every demo dataset, on a node with the synthetic datasets published: only a publisher of the provider
/// declares and publishes (403 with the engine's reasons otherwise); the provider's and the recipients' organisations
/// read (404 for anyone else, as for a dataset that does not exist); no token is 401.
/// </summary>
public abstract class PublishingAccessTests(SeededGatewayFixture fixture)
{
    private static readonly string[] Datasets = [Publishing.Caf, Publishing.FranceTravail, Publishing.Bailleur];

    /// <summary>
    /// Who may read each demo dataset now: its provider and the recipients of its clauses in force — the CAF's
    /// households go to the EPCI and the State; France Travail's job seekers to everyone (an open clause); the
    /// bailleur's dwellings to the EPCI, the State and, since amendment 1 (2025-07-01), the CAF.
    /// </summary>
    private static readonly Dictionary<string, string[]> Readers = new(StringComparer.Ordinal)
    {
        [Publishing.Caf] = ["caf-44", "epci-demo", "etat-prefecture"],
        [Publishing.FranceTravail] = ["ft-pdl", "epci-demo", "etat-prefecture", "caf-44", "bailleur-atlantique"],
        [Publishing.Bailleur] = ["bailleur-atlantique", "epci-demo", "etat-prefecture", "caf-44"],
    };

    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Every_endpoint_answers_every_demo_account_on_every_dataset_as_the_contract_says()
    {
        var schemas = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dataset in Datasets)
        {
            using var provider = await Host.ClientForAsync(Publishing.Providers[dataset], "publisher");
            schemas[dataset] = (await provider.GetFromJsonAsync<JsonElement>($"api/v1/datasets/{dataset}")).GetProperty("schema").GetRawText();
        }

        var wrong = new List<string>();
        var checks = 0;
        foreach (var (organisation, role) in DemoAccounts.All)
        {
            using var client = await Host.ClientForAsync(organisation, role);
            foreach (var dataset in Datasets)
            {
                var reads = Readers[dataset].Contains(organisation, StringComparer.Ordinal);
                var publishes = organisation == Publishing.Providers[dataset] && role == "publisher";
                var read = reads ? HttpStatusCode.OK : HttpStatusCode.NotFound;
                var write = publishes ? HttpStatusCode.OK : HttpStatusCode.Forbidden;
                var expected = new (string Method, string Path, HttpContent? Body, HttpStatusCode Status)[]
                {
                    ("GET", $"api/v1/datasets/{dataset}", null, read),
                    ("GET", $"api/v1/datasets/{dataset}/versions", null, read),
                    ("GET", $"api/v1/datasets/{dataset}/versions/2024-12-31", null, read),
                    ("GET", $"api/v1/datasets/{dataset}/versions/1999-12-31", null, HttpStatusCode.NotFound),
                    ("PUT", $"api/v1/datasets/{dataset}", new StringContent(schemas[dataset], Encoding.UTF8, "application/json"), write),
                    ("PUT", $"api/v1/datasets/{dataset}/versions/matrix-{organisation}-{role}", Csv(dataset), publishes ? HttpStatusCode.Created : HttpStatusCode.Forbidden),
                    ("GET", $"api/v1/datasets/no-such-dataset", null, HttpStatusCode.NotFound),
                    ("PUT", $"api/v1/datasets/no-such-dataset/versions/v1", Csv(dataset), HttpStatusCode.NotFound),
                };
                foreach (var (method, path, body, status) in expected)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body };
                    using var response = await client.SendAsync(request);
                    checks++;
                    if (response.StatusCode != status)
                    {
                        wrong.Add($"{organisation}/{role} {method} {path}: {(int)response.StatusCode}, expected {(int)status}: {await response.Content.ReadAsStringAsync()}");
                    }
                    else if (!response.IsSuccessStatusCode)
                    {
                        var problem = await response.ShouldBeProblemAsync(status, status == HttpStatusCode.Forbidden ? "forbidden" : "not-found");
                        if (status == HttpStatusCode.Forbidden && problem.GetProperty("reasons").GetArrayLength() == 0)
                        {
                            wrong.Add($"{organisation}/{role} {method} {path}: 403 without reasons");
                        }
                    }
                }
            }

            foreach (var path in new[] { "api/v1/catalog", "api/v1/catalog.jsonld" })
            {
                using var response = await client.GetAsync(path);
                checks++;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    wrong.Add($"{organisation}/{role} GET {path}: {(int)response.StatusCode}, expected 200");
                }
            }
        }

        wrong.ShouldBeEmpty();
        checks.ShouldBe(DemoAccounts.All.Count * ((Datasets.Length * 8) + 2));
    }

    [Fact]
    public async Task Publisher_of_the_caf_cannot_publish_or_declare_the_dataset_of_france_travail()
    {
        using var caf = await Host.ClientForAsync("caf-44", "publisher");

        using var upload = await Publishing.UploadAsync(caf, Publishing.FranceTravail, "2025-03-31", Publishing.ValidCsv(Publishing.FranceTravail, 3));
        using var declare = await caf.PutAsync($"api/v1/datasets/{Publishing.FranceTravail}", new StringContent(Publishing.Schemas[Publishing.FranceTravail], Encoding.UTF8, "application/json"));

        foreach (var response in new[] { upload, declare })
        {
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            var reasons = problem.GetProperty("reasons").EnumerateArray().ToList();
            reasons.ShouldNotBeEmpty();
            reasons.ShouldAllBe(r => r.GetProperty("rule").GetString() == "provider-only" && r.GetProperty("subject").GetString() == "caf-44");
            reasons.Select(r => r.GetProperty("clause").GetString()).ShouldBe(["ft-demandeurs-qpv", "ft-demandeurs-commune-open"], ignoreOrder: true);
            reasons.ShouldAllBe(r => r.GetProperty("contract").GetString() == "cdv-demo-2024-2030");
            reasons[0].GetProperty("message").GetProperty("en").GetString()!.ShouldStartWith("Only the provider named by clause");
            reasons[0].GetProperty("message").GetProperty("fr").GetString()!.ShouldStartWith("Seul le fournisseur désigné par la clause");
        }

        (await Publishing.StoredVersionsAsync(Host.Database, Publishing.FranceTravail)).ShouldNotContain("2025-03-31");
        var audit = (await Publishing.AuditOfAsync(Host, upload)).Single();
        audit.Event.Action.ShouldBe("dataset.publish-rejected");
        audit.Event.Outcome.ShouldBe("denied");
        audit.Event.Effect.ShouldBe("deny");
        audit.Event.DataOwner.ShouldBe("ft-pdl");
        audit.Event.Reasons.Select(r => r.Rule).Distinct().ShouldBe(["provider-only"]);
        (await Publishing.AuditOfAsync(Host, declare)).Single().Event.Action.ShouldBe("dataset.declare-rejected");
    }

    [Theory]
    [InlineData("epci-demo", "analyst")]
    [InlineData("etat-prefecture", "analyst")]
    [InlineData("caf-44", "steward")]
    [InlineData("caf-44", "dpo")]
    [InlineData("caf-44", "admin")]
    public async Task Account_without_the_publisher_role_cannot_publish_a_version(string organisation, string role)
    {
        using var client = await Host.ClientForAsync(organisation, role);

        using var response = await Publishing.UploadAsync(client, Publishing.Caf, $"role-{organisation}-{role}", Publishing.ValidCsv(Publishing.Caf, 3));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        var rules = problem.GetProperty("reasons").EnumerateArray().Select(r => (r.GetProperty("rule").GetString(), r.GetProperty("subject").GetString())).ToList();
        rules.ShouldContain(("role-not-permitted", "publisher"));
        if (organisation != "caf-44")
        {
            rules.ShouldContain(("provider-only", organisation));
        }

        (await Publishing.StoredVersionsAsync(Host.Database, Publishing.Caf)).ShouldNotContain($"role-{organisation}-{role}");
    }

    [Fact]
    public async Task Organisation_that_is_neither_provider_nor_recipient_gets_404_as_for_a_dataset_that_does_not_exist()
    {
        using var franceTravail = await Host.ClientForAsync("ft-pdl", "publisher");
        using var bailleur = await Host.ClientForAsync("bailleur-atlantique", "dpo");

        foreach (var path in new[] { $"api/v1/datasets/{Publishing.Caf}", $"api/v1/datasets/{Publishing.Caf}/versions", $"api/v1/datasets/{Publishing.Caf}/versions/2024-12-31" })
        {
            using var hidden = await franceTravail.GetAsync(path);
            using var unknown = await franceTravail.GetAsync(path.Replace(Publishing.Caf, "no-such-dataset", StringComparison.Ordinal));
            using var alsoHidden = await bailleur.GetAsync(path);

            var hiddenProblem = await hidden.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
            var unknownProblem = await unknown.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
            await alsoHidden.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
            hiddenProblem.GetProperty("title").GetString().ShouldBe(unknownProblem.GetProperty("title").GetString());
            hiddenProblem.GetProperty("detail").GetString().ShouldBe(unknownProblem.GetProperty("detail").GetString()!.Replace("no-such-dataset", Publishing.Caf, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Reads_answered_200_write_a_dataset_read_audit_event_and_refused_reads_write_none()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        using var stranger = await Host.ClientForAsync("ft-pdl", "dpo");

        using var read = await analyst.GetAsync($"api/v1/datasets/{Publishing.Caf}/versions");
        using var refused = await stranger.GetAsync($"api/v1/datasets/{Publishing.Caf}");

        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        var audit = (await Publishing.AuditOfAsync(Host, read)).Single();
        audit.Event.Action.ShouldBe("dataset.read");
        audit.Event.Dataset.ShouldBe(Publishing.Caf);
        audit.Event.DataOwner.ShouldBe("caf-44");
        audit.Event.Actor.Organisation.ShouldBe("epci-demo");
        refused.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Publishing.AuditOfAsync(Host, refused)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Request_without_a_token_is_refused_with_401_except_the_public_dcat_export()
    {
        using var anonymous = Host.CreateClient();
        var requests = new (string Method, string Path, HttpContent? Body)[]
        {
            ("GET", $"api/v1/datasets/{Publishing.Caf}", null),
            ("PUT", $"api/v1/datasets/{Publishing.Caf}", new StringContent(Publishing.Schemas[Publishing.Caf], Encoding.UTF8, "application/json")),
            ("GET", $"api/v1/datasets/{Publishing.Caf}/versions", null),
            ("GET", $"api/v1/datasets/{Publishing.Caf}/versions/2024-12-31", null),
            ("PUT", $"api/v1/datasets/{Publishing.Caf}/versions/anonymous", Csv(Publishing.Caf)),
            ("GET", "api/v1/catalog", null),
            ("GET", "api/v1/datasets/no-such-dataset", null),
        };

        foreach (var (method, path, body) in requests)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body };
            using var response = await anonymous.SendAsync(request);
            await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        }

        using var dcat = await anonymous.GetAsync("api/v1/catalog.jsonld");
        dcat.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Publishing.StoredVersionsAsync(Host.Database, Publishing.Caf)).ShouldNotContain("anonymous");
    }

    private static StringContent Csv(string dataset) => new(Publishing.ValidCsv(dataset, 3), Encoding.UTF8, "text/csv");
}

public sealed class PublishingAccessTests_on_Sqlite(SeededSqliteGateway fixture) : PublishingAccessTests(fixture), IClassFixture<SeededSqliteGateway>;

public sealed class PublishingAccessTests_on_PostgreSql(SeededPostgreSqlGateway fixture) : PublishingAccessTests(fixture), IClassFixture<SeededPostgreSqlGateway>;
