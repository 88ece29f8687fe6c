using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// The catalogue: every dataset of the node's contracts that the caller may see, with its schema, versions and the
/// clauses governing it; and a public DCAT-AP style JSON-LD export of the open and aggregated tiers.
/// </summary>
internal static class CatalogApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/catalog", GetCatalogAsync)
            .RequireAuthorization()
            .RequireRateLimiting(RateLimits.Api)
            .WithName("GetCatalog")
            .WithSummary("Datasets the caller may see, with provider, versions, schema and the clauses governing them.")
            .WithTags("Catalogue");

        app.MapGet("/api/v1/catalog.jsonld", GetDcatAsync)
            .AllowAnonymous()
            .RequireRateLimiting(RateLimits.Api)
            .WithName("GetCatalogJsonLd")
            .WithSummary("DCAT-AP style JSON-LD of the open and aggregated tiers (metadata only).")
            .WithTags("Catalogue");
        return app;
    }

    private static async Task<IResult> GetCatalogAsync(HttpContext http, CatalogService catalog, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var entries = await catalog.ReadAsync(caller, cancellationToken);
        var items = new JsonArray([.. entries.Select(e => (JsonNode)DatasetNode(caller, e))]);
        return Results.Text(new JsonObject { ["datasets"] = items }.ToJsonString(Json), "application/json");
    }

    private static JsonObject DatasetNode(Caller caller, CatalogEntry entry)
    {
        var (contract, dataset, clauses, granted, entity, versions, holder) = entry;
        var provider = entry.Provider;
        var latest = entry.Latest;
        return new JsonObject
        {
            ["id"] = dataset.Id,
            ["title"] = dataset.Title,
            ["provider"] = new JsonObject { ["id"] = dataset.Provider, ["name"] = provider?.Name, ["kind"] = provider?.Kind.ToWire() },
            ["contract"] = new JsonObject { ["id"] = contract.Id, ["title"] = contract.Title },
            ["zoning"] = dataset.Zoning.ToWire(),
            ["status"] = entry.Status,
            ["heldBy"] = holder is null ? null : new JsonObject
            {
                ["node"] = holder.Node,
                ["fetchedAt"] = holder.FetchedAt?.ToString("O", CultureInfo.InvariantCulture),
                ["stale"] = holder.Stale,
            },
            ["dimensions"] = new JsonArray([.. dataset.Dimensions.Select(d => (JsonNode)new JsonObject
            {
                ["name"] = d.Name,
                ["label"] = d.Label,
                ["geo"] = d.Geo?.ToWire(),
                ["values"] = new JsonArray([.. d.Values.Select(v => (JsonNode)JsonValue.Create(v)!)]),
            })]),
            ["measures"] = new JsonArray([.. dataset.Measures.Select(m => (JsonNode)new JsonObject
            {
                ["name"] = m.Name,
                ["kind"] = m.Kind == MeasureKind.Count ? "count" : "sum",
                ["unit"] = m.Unit,
            })]),
            ["schema"] = entity is null ? null : JsonNode.Parse(entity.SchemaJson),
            ["versions"] = new JsonArray([.. versions.Select(v => (JsonNode)new JsonObject
            {
                ["version"] = v.Version,
                ["rowCount"] = v.RowCount,
                ["publishedAt"] = v.PublishedAt.ToString("O", CultureInfo.InvariantCulture),
                ["contentSha256"] = v.ContentSha256,
                ["latest"] = ReferenceEquals(v, latest),
            })]),
            ["clauses"] = new JsonArray([.. clauses.Select(c => (JsonNode)ClauseNode(c))]),
            ["yourAccess"] = new JsonObject
            {
                ["provider"] = string.Equals(caller.Organisation, dataset.Provider, StringComparison.Ordinal),
                ["clauses"] = new JsonArray([.. granted.Select(c => (JsonNode)JsonValue.Create(c.Id)!)]),
                ["purposes"] = new JsonArray([.. granted.SelectMany(c => c.Purposes).Distinct(StringComparer.Ordinal).Select(p => (JsonNode)JsonValue.Create(p)!)]),
            },
        };
    }

    private static JsonObject ClauseNode(Clause clause) => new()
    {
        ["id"] = clause.Id,
        ["title"] = clause.Title,
        ["amendment"] = clause.Amendment,
        ["recipients"] = new JsonObject
        {
            ["organisations"] = new JsonArray([.. clause.Recipients.Organisations.Select(o => (JsonNode)JsonValue.Create(o)!)]),
            ["kinds"] = new JsonArray([.. clause.Recipients.Kinds.Select(k => (JsonNode)JsonValue.Create(k.ToWire())!)]),
            ["roles"] = new JsonArray([.. clause.Recipients.Roles.Select(r => (JsonNode)JsonValue.Create(r)!)]),
        },
        ["purposes"] = new JsonArray([.. clause.Purposes.Select(p => (JsonNode)JsonValue.Create(p)!)]),
        ["dimensions"] = new JsonArray([.. clause.Dimensions.Select(d => (JsonNode)JsonValue.Create(d)!)]),
        ["measures"] = new JsonArray([.. clause.Measures.Select(m => (JsonNode)JsonValue.Create(m)!)]),
        ["finestGeography"] = clause.FinestGeography.ToWire(),
        ["zoning"] = clause.Zoning.ToWire(),
        ["disclosure"] = new JsonObject
        {
            ["minCount"] = clause.Disclosure.MinCount,
            ["dominance"] = clause.Disclosure.Dominance is { } d ? new JsonObject { ["n"] = d.N, ["k"] = d.K } : null,
            ["pPercent"] = clause.Disclosure.PPercent,
            ["rounding"] = clause.Disclosure.Rounding.ToWire(),
            ["secondarySuppression"] = clause.Disclosure.SecondarySuppression,
        },
        ["retention"] = clause.Retention is { } r ? new JsonObject { ["max"] = r.Max.ToString(), ["atEnd"] = r.AtEnd.ToWire() } : null,
        ["approval"] = clause.Approval.ToWire(),
        ["publication"] = clause.Publication is { } p ? new JsonObject { ["frequency"] = p.Frequency.ToString(), ["format"] = p.Format, ["tier"] = p.Tier.ToWire() } : null,
        ["legalBasis"] = clause.LegalBasis,
    };

    private static async Task<IResult> GetDcatAsync(
        ContractCatalog contracts, GatewayDbContext db, TimeProvider clock, IOptions<GatewayOptions> options, PublicOrigin publicOrigin, CancellationToken cancellationToken)
    {
        var origin = publicOrigin.Value;
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var versions = (await db.DatasetVersions.AsNoTracking().ToListAsync(cancellationToken))
            .GroupBy(v => v.DatasetId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(v => v.PublishedAt).ThenBy(v => v.Version, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var descriptions = (await db.Datasets.AsNoTracking().Select(d => new { d.DatasetId, d.SchemaJson }).ToListAsync(cancellationToken))
            .ToDictionary(d => d.DatasetId, d => SchemaDescription(d.SchemaJson), StringComparer.Ordinal);
        var datasets = new JsonArray();
        foreach (var contract in contracts.Contracts.Contracts)
        {
            foreach (var dataset in contract.Datasets)
            {
                var tiers = contracts.Contracts.ClausesInForce(dataset.Id, today)
                    .Where(c => c.Contract.Id == contract.Id && c.Clause.Publication is not null)
                    .Select(c => c.Clause.Publication!)
                    .Where(p => p.Tier is Tier.Open or Tier.Aggregated)
                    .ToList();
                if (tiers.Count == 0)
                {
                    continue;
                }

                var open = tiers.Any(t => t.Tier == Tier.Open);
                var provider = contract.FindSignatory(dataset.Provider);
                versions.TryGetValue(dataset.Id, out var datasetVersions);
                descriptions.TryGetValue(dataset.Id, out var declaredDescription);
                datasets.Add(new JsonObject
                {
                    ["@id"] = $"{origin}/api/v1/datasets/{dataset.Id}",
                    ["@type"] = "dcat:Dataset",
                    ["dct:identifier"] = dataset.Id,
                    ["dct:title"] = new JsonObject { ["@value"] = dataset.Title, ["@language"] = "fr" },
                    ["dct:description"] = new JsonObject { ["@value"] = declaredDescription ?? DefaultDescription(dataset, provider), ["@language"] = "fr" },
                    ["dct:publisher"] = new JsonObject { ["@type"] = "foaf:Organization", ["foaf:name"] = provider?.Name ?? dataset.Provider, ["dct:identifier"] = dataset.Provider },
                    ["dct:spatial"] = new JsonObject { ["@type"] = "dct:Location", ["dct:identifier"] = contract.Territory.EpciCode, ["skos:prefLabel"] = contract.Territory.EpciName },
                    ["dct:temporal"] = new JsonObject
                    {
                        ["@type"] = "dct:PeriodOfTime",
                        ["dcat:startDate"] = new JsonObject { ["@value"] = contract.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["@type"] = "xsd:date" },
                        ["dcat:endDate"] = new JsonObject { ["@value"] = contract.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["@type"] = "xsd:date" },
                    },
                    ["dct:accessRights"] = new JsonObject { ["@id"] = "http://publications.europa.eu/resource/authority/access-right/" + (open ? "PUBLIC" : "RESTRICTED") },
                    ["dct:accrualPeriodicity"] = Frequency(tiers[0].Frequency),
                    ["dct:conformsTo"] = new JsonObject { ["@id"] = $"{origin}/api/v1/contracts/{contract.Id}" },
                    ["dcat:keyword"] = new JsonArray("politique de la ville", "QPV", contract.Id),
                    ["dcat:distribution"] = new JsonArray([.. (datasetVersions ?? []).Select(v => (JsonNode)new JsonObject
                    {
                        ["@type"] = "dcat:Distribution",
                        ["dct:identifier"] = v.Version,
                        ["dct:issued"] = new JsonObject { ["@value"] = v.PublishedAt.ToString("O", CultureInfo.InvariantCulture), ["@type"] = "xsd:dateTime" },
                        ["dcat:accessURL"] = new JsonObject { ["@id"] = $"{origin}/api/v1/queries" },
                        ["dct:format"] = new JsonObject { ["@id"] = "http://publications.europa.eu/resource/authority/file-type/CSV" },
                        ["dct:description"] = "Agrégats protégés (secret statistique) : requêtes via l'API, jamais de microdonnées.",
                    })]),
                });
            }
        }

        var catalog = new JsonObject
        {
            ["@context"] = new JsonObject
            {
                ["dcat"] = "http://www.w3.org/ns/dcat#",
                ["dct"] = "http://purl.org/dc/terms/",
                ["foaf"] = "http://xmlns.com/foaf/0.1/",
                ["skos"] = "http://www.w3.org/2004/02/skos/core#",
                ["xsd"] = "http://www.w3.org/2001/XMLSchema#",
            },
            ["@id"] = $"{origin}/api/v1/catalog.jsonld",
            ["@type"] = "dcat:Catalog",
            ["dct:title"] = new JsonObject { ["@value"] = "Catalogue DataClauses (niveaux ouvert et agrégé)", ["@language"] = "fr" },
            ["dct:description"] = new JsonObject
            {
                ["@value"] = "Métadonnées des jeux de données des contrats de ville ; les données restent chez leurs producteurs.",
                ["@language"] = "fr",
            },
            ["dct:publisher"] = new JsonObject
            {
                ["@type"] = "foaf:Organization",
                ["foaf:name"] = contracts.FindOrganisation(options.Value.NodeId)?.Name ?? options.Value.NodeId,
                ["dct:identifier"] = options.Value.NodeId,
            },
            ["dcat:dataset"] = datasets,
        };
        return Results.Text(catalog.ToJsonString(Json), "application/ld+json");
    }

    /// <summary>
    /// A publication frequency as DCAT-AP wants it: a concept of the EU frequency vocabulary when there is one,
    /// otherwise the ISO 8601 duration as a typed literal.
    /// </summary>
    internal static JsonObject Frequency(IsoDuration frequency)
    {
        var concept = frequency.ToString() switch
        {
            "P1D" => "DAILY",
            "P1W" or "P7D" => "WEEKLY",
            "P2W" or "P14D" => "BIWEEKLY",
            "P1M" => "MONTHLY",
            "P2M" => "BIMONTHLY",
            "P3M" => "QUARTERLY",
            "P4M" => "ANNUAL_3",
            "P6M" => "ANNUAL_2",
            "P1Y" or "P12M" => "ANNUAL",
            "P2Y" => "BIENNIAL",
            "P3Y" => "TRIENNIAL",
            _ => null,
        };
        return concept is null
            ? new JsonObject { ["@value"] = frequency.ToString(), ["@type"] = "xsd:duration" }
            : new JsonObject { ["@id"] = "http://publications.europa.eu/resource/authority/frequency/" + concept };
    }

    /// <summary>The description the provider gave its schema, if any.</summary>
    private static string? SchemaDescription(string schemaJson)
    {
        using var document = JsonDocument.Parse(schemaJson);
        return document.RootElement.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String
            ? description.GetString()
            : null;
    }

    /// <summary>A description made from the contract's declaration, for a dataset whose provider gave none (DCAT-AP requires one).</summary>
    private static string DefaultDescription(DatasetDeclaration dataset, Signatory? provider) =>
        $"{dataset.Title}, publié par {provider?.Name ?? dataset.Provider} : {string.Join(", ", dataset.Dimensions.Select(d => d.Label ?? d.Name))} ; "
        + $"mesures : {string.Join(", ", dataset.Measures.Select(m => m.Name))}.";
}
