using System.Globalization;
using System.Net;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>
/// GET /api/v1/catalog (the datasets the caller's organisation may see, with provider, versions, schema, the clauses
/// governing them and the caller's own access) and the public DCAT-AP style JSON-LD export of the open and
/// aggregated tiers, on a node with the synthetic demo datasets.
/// </summary>
public abstract class CatalogApiTests(SeededGatewayFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Epci_analyst_sees_the_three_demo_datasets_with_their_versions_schema_clauses_and_its_own_purposes()
    {
        var catalog = await CatalogAsync("epci-demo", "analyst");

        catalog.Keys.ShouldBe([Publishing.Caf, Publishing.FranceTravail, Publishing.Bailleur]);
        var caf = catalog[Publishing.Caf];
        caf.GetProperty("provider").GetProperty("id").GetString().ShouldBe("caf-44");
        caf.GetProperty("provider").GetProperty("kind").GetString().ShouldBe("caf");
        caf.GetProperty("contract").GetProperty("id").GetString().ShouldBe("cdv-demo-2024-2030");
        caf.GetProperty("status").GetString().ShouldBe("published");
        Versions(caf).ShouldBe([("2023-12-31", 10224L, false), ("2024-12-31", 11216L, true)]);
        Versions(catalog[Publishing.FranceTravail]).ShouldBe([("2024-12-31", 4313L, true)]);
        Versions(catalog[Publishing.Bailleur]).ShouldBe([("2024-12-31", 10114L, true)]);
        caf.GetProperty("schema").GetProperty("fields").EnumerateArray().Select(f => (f.GetProperty("name").GetString(), f.GetProperty("role").GetString()))
            .ShouldBe([("id_foyer", "unit-id"), ("qpv", "geo"), ("commune", "geo"), ("type_menage", "dimension"), ("prestation", "dimension"), ("montant_mensuel", "measure")]);
        caf.GetProperty("measures").EnumerateArray().Select(m => (m.GetProperty("name").GetString(), m.GetProperty("kind").GetString()))
            .ShouldBe([("foyers", "count"), ("montant_mensuel", "sum")]);

        // Amendment 1 took diagnostic away from the CAF clause and shortened its retention.
        var clause = caf.GetProperty("clauses").EnumerateArray().Single();
        clause.GetProperty("id").GetString().ShouldBe("caf-foyers-qpv");
        clause.GetProperty("amendment").GetInt32().ShouldBe(1);
        clause.GetProperty("purposes").EnumerateArray().Select(p => p.GetString()).ShouldBe(["observation", "evaluation"]);
        clause.GetProperty("disclosure").GetProperty("minCount").GetInt32().ShouldBe(11);
        clause.GetProperty("disclosure").GetProperty("dominance").GetProperty("n").GetInt32().ShouldBe(1);
        clause.GetProperty("disclosure").GetProperty("dominance").GetProperty("k").GetDouble().ShouldBe(85);
        clause.GetProperty("disclosure").GetProperty("secondarySuppression").GetBoolean().ShouldBeTrue();
        clause.GetProperty("retention").GetProperty("max").GetString().ShouldBe("P9M");
        clause.GetProperty("approval").GetString().ShouldBe("steward");
        clause.GetProperty("publication").GetProperty("tier").GetString().ShouldBe("protected");
        catalog[Publishing.Bailleur].GetProperty("clauses").EnumerateArray().Select(c => (c.GetProperty("id").GetString(), c.GetProperty("disclosure").GetProperty("rounding").GetString()))
            .ShouldBe([("bailleur-logements-qpv", "midpoint-6"), ("bailleur-occupation-caf", "none")]);

        Access(caf).ShouldBe("provider: False; clauses: caf-foyers-qpv; purposes: observation, evaluation");
        Access(catalog[Publishing.FranceTravail]).ShouldBe("provider: False; clauses: ft-demandeurs-qpv, ft-demandeurs-commune-open; purposes: observation, evaluation, pilotage, statistique");
        Access(catalog[Publishing.Bailleur]).ShouldBe("provider: False; clauses: bailleur-logements-qpv; purposes: observation, diagnostic, pilotage");
    }

    [Fact]
    public async Task Caf_sees_its_own_dataset_the_open_one_and_since_amendment_1_the_bailleur_dwellings_for_diagnostic_only()
    {
        var catalog = await CatalogAsync("caf-44", "publisher");

        catalog.Keys.ShouldBe([Publishing.Caf, Publishing.FranceTravail, Publishing.Bailleur]);
        Access(catalog[Publishing.Caf]).ShouldBe("provider: True; clauses: ; purposes: ");
        Access(catalog[Publishing.FranceTravail]).ShouldBe("provider: False; clauses: ft-demandeurs-commune-open; purposes: observation, statistique");
        Access(catalog[Publishing.Bailleur]).ShouldBe("provider: False; clauses: bailleur-occupation-caf; purposes: diagnostic");
    }

    [Theory]
    [InlineData("bailleur-atlantique", "publisher", new[] { Publishing.FranceTravail, Publishing.Bailleur })]
    [InlineData("ft-pdl", "publisher", new[] { Publishing.FranceTravail })]
    [InlineData("ft-pdl", "dpo", new[] { Publishing.FranceTravail })]
    [InlineData("etat-prefecture", "dpo", new[] { Publishing.Caf, Publishing.FranceTravail, Publishing.Bailleur })]
    public async Task Each_organisation_sees_only_the_datasets_it_provides_or_receives(string organisation, string role, string[] datasets)
    {
        var catalog = await CatalogAsync(organisation, role);

        catalog.Keys.ShouldBe(datasets);
        foreach (var (id, dataset) in catalog)
        {
            dataset.GetProperty("yourAccess").GetProperty("provider").GetBoolean().ShouldBe(Publishing.Providers[id] == organisation);
        }
    }

    [Fact]
    public async Task Catalogue_and_dataset_views_never_show_the_unit_id_key_nor_a_hashed_identifier()
    {
        var secrets = new List<string>();
        foreach (var dataset in new[] { Publishing.Caf, Publishing.FranceTravail, Publishing.Bailleur })
        {
            secrets.Add((string)(await Host.Database.ScalarAsync($"SELECT unit_id_key FROM datasets WHERE dataset_id = '{dataset}'"))!);
            var unitId = dataset switch { Publishing.Caf => "id_foyer", Publishing.FranceTravail => "id_demandeur", _ => "id_logement" };
            secrets.AddRange((await Publishing.ColumnAsync(Host.Database, dataset, "2024-12-31", unitId)).Take(3));
        }

        secrets.ShouldAllBe(s => s.Length == 64);
        foreach (var (organisation, role) in new[] { ("caf-44", "publisher"), ("epci-demo", "analyst"), ("bailleur-atlantique", "dpo") })
        {
            using var client = await Host.ClientForAsync(organisation, role);
            var texts = new List<string> { await client.GetStringAsync("api/v1/catalog") };
            foreach (var dataset in new[] { Publishing.FranceTravail, Publishing.Bailleur })
            {
                texts.Add(await client.GetStringAsync($"api/v1/datasets/{dataset}"));
                texts.Add(await client.GetStringAsync($"api/v1/datasets/{dataset}/versions"));
            }

            foreach (var text in texts)
            {
                text.ShouldNotContain("key", Case.Insensitive);
                secrets.ShouldAllBe(secret => !text.Contains(secret, StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task Each_catalogue_read_writes_one_catalog_read_audit_event_naming_the_reader()
    {
        using var analyst = await Host.ClientForAsync("etat-prefecture", "analyst");
        var before = await Host.ReadAuditAsync();

        using var response = await analyst.GetAsync("api/v1/catalog");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var events = await Publishing.AuditOfAsync(Host, response);
        var read = events.Single();
        read.Event.Action.ShouldBe("catalog.read");
        read.Event.Outcome.ShouldBe("success");
        read.Event.Actor.Subject.ShouldBe("etat-prefecture-analyst");
        read.Event.Actor.Organisation.ShouldBe("etat-prefecture");
        read.Event.Details["datasets"].ShouldBe("3");
        var after = await Host.ReadAuditAsync();
        after.Count.ShouldBe(before.Count + 1);
        var verification = await Host.VerifyAuditChainAsync();
        verification.Intact.ShouldBeTrue(verification.Detail);
    }

    [Fact]
    public async Task Dcat_export_is_json_ld_of_the_open_and_aggregated_tiers_only_and_open_to_anyone()
    {
        using var anonymous = Host.CreateClient();

        using var response = await anonymous.GetAsync("api/v1/catalog.jsonld");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/ld+json");
        var catalog = await GatewayHost.JsonOf(response);
        var context = catalog.GetProperty("@context");
        context.GetProperty("dcat").GetString().ShouldBe("http://www.w3.org/ns/dcat#");
        context.GetProperty("dct").GetString().ShouldBe("http://purl.org/dc/terms/");
        catalog.GetProperty("@type").GetString().ShouldBe("dcat:Catalog");
        catalog.GetProperty("@id").GetString().ShouldBe(new Uri(Host.BaseAddress, "api/v1/catalog.jsonld").ToString());
        JsonLd.Problems(catalog).ShouldBeEmpty();

        // DCAT-AP's mandatory properties of a catalogue, its datasets and their distributions.
        foreach (var property in new[] { "dct:title", "dct:description", "dct:publisher", "dcat:dataset" })
        {
            catalog.TryGetProperty(property, out _).ShouldBeTrue(property);
        }

        catalog.GetProperty("dct:publisher").GetProperty("dct:identifier").GetString().ShouldBe("epci-demo");

        // France Travail's job seekers have an aggregated and an open clause; the CAF's and the bailleur's are protected.
        var dataset = catalog.GetProperty("dcat:dataset").EnumerateArray().Single();
        dataset.GetProperty("@type").GetString().ShouldBe("dcat:Dataset");
        dataset.GetProperty("dct:identifier").GetString().ShouldBe(Publishing.FranceTravail);
        dataset.GetProperty("@id").GetString().ShouldBe(new Uri(Host.BaseAddress, $"api/v1/datasets/{Publishing.FranceTravail}").ToString());
        dataset.GetProperty("dct:publisher").GetProperty("dct:identifier").GetString().ShouldBe("ft-pdl");
        dataset.GetProperty("dct:accessRights").GetProperty("@id").GetString().ShouldBe("http://publications.europa.eu/resource/authority/access-right/PUBLIC");
        dataset.GetProperty("dct:title").GetProperty("@value").GetString()!.ShouldContain("(données synthétiques)");
        dataset.GetProperty("dct:description").GetProperty("@value").GetString()!.ShouldStartWith("DONNÉES SYNTHÉTIQUES");
        dataset.GetProperty("dct:accrualPeriodicity").GetProperty("@id").GetString().ShouldBe("http://publications.europa.eu/resource/authority/frequency/QUARTERLY");
        dataset.GetProperty("dct:temporal").GetProperty("dcat:startDate").GetProperty("@value").GetString().ShouldBe("2024-01-01");
        var distribution = dataset.GetProperty("dcat:distribution").EnumerateArray().Single();
        distribution.GetProperty("dct:identifier").GetString().ShouldBe("2024-12-31");
        distribution.GetProperty("@type").GetString().ShouldBe("dcat:Distribution");
        Uri.IsWellFormedUriString(distribution.GetProperty("dcat:accessURL").GetProperty("@id").GetString(), UriKind.Absolute).ShouldBeTrue();
        DateTimeOffset.Parse(distribution.GetProperty("dct:issued").GetProperty("@value").GetString()!, CultureInfo.InvariantCulture).ShouldBeLessThanOrEqualTo(Host.Clock.GetUtcNow());
        var text = await response.Content.ReadAsStringAsync();
        text.ShouldNotContain(Publishing.Caf);
        text.ShouldNotContain(Publishing.Bailleur);
        (await Publishing.AuditOfAsync(Host, response)).ShouldBeEmpty();
    }

    private async Task<Dictionary<string, JsonElement>> CatalogAsync(string organisation, string role)
    {
        using var client = await Host.ClientForAsync(organisation, role);
        using var response = await client.GetAsync("api/v1/catalog");
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = await GatewayHost.JsonOf(response);
        return body.GetProperty("datasets").EnumerateArray().ToDictionary(d => d.GetProperty("id").GetString()!, StringComparer.Ordinal);
    }

    private static List<(string?, long, bool)> Versions(JsonElement dataset) =>
        [.. dataset.GetProperty("versions").EnumerateArray().Select(v => (v.GetProperty("version").GetString(), v.GetProperty("rowCount").GetInt64(), v.GetProperty("latest").GetBoolean()))];

    /// <summary>The caller's access to a dataset, as text: <c>provider: false; clauses: a, b; purposes: x, y</c>.</summary>
    private static string Access(JsonElement dataset)
    {
        var access = dataset.GetProperty("yourAccess");
        return string.Create(
            CultureInfo.InvariantCulture,
            $"provider: {access.GetProperty("provider").GetBoolean()}; clauses: {string.Join(", ", access.GetProperty("clauses").EnumerateArray().Select(c => c.GetString()))}; purposes: {string.Join(", ", access.GetProperty("purposes").EnumerateArray().Select(p => p.GetString()))}");
    }
}

/// <summary>
/// A check of JSON-LD's compact form without a processor: every key and <c>@type</c> that is a compact IRI uses a
/// prefix of the <c>@context</c>, prefixes map to absolute IRIs, and every <c>@id</c> is an absolute IRI.
/// </summary>
internal static class JsonLd
{
    public static IReadOnlyList<string> Problems(JsonElement document)
    {
        var problems = new List<string>();
        var prefixes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!document.TryGetProperty("@context", out var context) || context.ValueKind != JsonValueKind.Object)
        {
            return ["no @context object"];
        }

        foreach (var prefix in context.EnumerateObject())
        {
            if (prefix.Value.ValueKind != JsonValueKind.String || !Uri.IsWellFormedUriString(prefix.Value.GetString(), UriKind.Absolute))
            {
                problems.Add($"prefix {prefix.Name} is not an absolute IRI");
            }

            prefixes[prefix.Name] = prefix.Value.GetString() ?? string.Empty;
        }

        Walk(document, "$", prefixes, problems);
        return problems;
    }

    private static void Walk(JsonElement node, string path, Dictionary<string, string> prefixes, List<string> problems)
    {
        if (node.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in node.EnumerateArray())
            {
                Walk(item, $"{path}[{i++}]", prefixes, problems);
            }

            return;
        }

        if (node.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var property in node.EnumerateObject())
        {
            var at = $"{path}.{property.Name}";
            switch (property.Name)
            {
                case "@context":
                    break;
                case "@id":
                    if (!Uri.IsWellFormedUriString(property.Value.GetString(), UriKind.Absolute))
                    {
                        problems.Add($"{at} is not an absolute IRI");
                    }

                    break;
                case "@type":
                    CheckTerm(property.Value.GetString() ?? string.Empty, at, prefixes, problems);
                    break;
                case "@value" or "@language":
                    break;
                default:
                    CheckTerm(property.Name, at, prefixes, problems);
                    Walk(property.Value, at, prefixes, problems);
                    break;
            }
        }
    }

    private static void CheckTerm(string term, string at, Dictionary<string, string> prefixes, List<string> problems)
    {
        var colon = term.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !prefixes.ContainsKey(term[..colon]))
        {
            problems.Add($"{at}: '{term}' is neither a compact IRI of a declared prefix nor a keyword");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SeededSqliteCollection : ICollectionFixture<SeededSqliteGateway>
{
    public const string Name = "Seeded SQLite gateway";
}

[CollectionDefinition(Name)]
public sealed class SeededPostgreSqlCollection : ICollectionFixture<SeededPostgreSqlGateway>
{
    public const string Name = "Seeded PostgreSQL gateway";
}

[Collection(SeededSqliteCollection.Name)]
public sealed class CatalogApiTests_on_Sqlite(SeededSqliteGateway fixture) : CatalogApiTests(fixture);

[Collection(SeededPostgreSqlCollection.Name)]
public sealed class CatalogApiTests_on_PostgreSql(SeededPostgreSqlGateway fixture) : CatalogApiTests(fixture);
