using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static DataClauses.Gateway.FunctionalTests.Extracts.ExtractHosts;

namespace DataClauses.Gateway.FunctionalTests.Hostile;

/// <summary>
/// Every endpoint the application maps (read from its <see cref="EndpointDataSource"/>, so that a new endpoint is in
/// the matrix the day it is added) × every demo client, an anonymous caller and a forged token, against objects of
/// other organisations: an endpoint needs an authorization check unless it is one of the few public ones; anonymous
/// and forged callers get 401; a caller outside an object's organisations gets a refusal and never sees the object in
/// a list (the audit endpoints excepted: a DPO reads their own organisation's attempts, which name what was tried);
/// nothing answers 5xx and every refusal is a problem.
/// </summary>
public abstract class AuthorizationMatrixTests
{
    /// <summary>The endpoints anyone may call (a new one must be added here on purpose).</summary>
    private static readonly string[] Public =
    [
        "/connect/token", "/.well-known/openid-configuration", "/.well-known/jwks.json", "/healthz", "/readyz", "/openapi/{documentName}.json",
        "/api/v1/catalog.jsonld", "/connect/authorize", "/connexion", "/deconnexion",
    ];

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Every_endpoint_checks_who_calls_and_no_caller_reaches_or_sees_another_organisations_object()
    {
        await using var host = await StartAsync(Provider);
        using var analyst = await host.ClientForAsync("epci-demo", "analyst");
        var extractId = IdOf(await RequestOkAsync(analyst, Body([CafTable()])));
        using (var admin = await host.ClientForAsync("caf-44", "admin"))
        using (var created = await admin.PostAsJsonAsync("api/v1/admin/clients", new { clientId = "caf-44-matrix", roles = new[] { "steward" } }))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        // Whose each kind of object is (organisations that may reach it) and its value in a path.
        var objects = new Dictionary<string, (string Value, string[] Owners)>(StringComparer.Ordinal)
        {
            ["datasetId"] = (Caf, ["caf-44", "epci-demo", "etat-prefecture", "bailleur-atlantique"]),
            ["version"] = ("2024-12-31", ["caf-44", "epci-demo", "etat-prefecture", "bailleur-atlantique"]),
            ["id"] = (extractId, ["epci-demo", "caf-44"]),
            ["clientId"] = ("caf-44-matrix", ["caf-44"]),
            ["documentName"] = ("v1", []),
        };

        var callers = new List<(string Name, string? Organisation, string? Token)> { ("anonymous", null, null), ("forged", null, await ForgedTokenAsync(host)) };
        foreach (var (organisation, role) in DemoAccounts.All)
        {
            callers.Add((DemoAccounts.ClientId(organisation, role), organisation, await host.GetDemoTokenAsync(organisation, role)));
        }

        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>() is not null)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Endpoint: e, Method: m, Pattern: "/" + e.RoutePattern.RawText!.Trim('/'))))
            .ToList();
        endpoints.Count.ShouldBeGreaterThan(25);
        var unchecked_ = endpoints.Where(e => !Public.Contains(e.Pattern, StringComparer.Ordinal) && e.Endpoint.Metadata.GetMetadata<IAuthorizeData>() is null).Select(e => $"{e.Method} {e.Pattern}").ToList();
        unchecked_.ShouldBeEmpty("endpoints without an authorization check (or add them to Public on purpose)");

        var requests = 0;
        foreach (var (endpoint, method, pattern) in endpoints)
        {
            var parameters = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToList();
            parameters.Where(p => !objects.ContainsKey(p)).ShouldBeEmpty($"{method} {pattern}: teach the matrix whose object this parameter names");
            var path = parameters.Aggregate(pattern, (p, name) => p.Replace("{" + name + "}", objects[name].Value, StringComparison.Ordinal)).TrimStart('/');
            var isPublic = Public.Contains(pattern, StringComparer.Ordinal);
            foreach (var (name, organisation, token) in callers)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (token is not null)
                {
                    request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                }

                if (method is "POST" or "PUT")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using var response = await host.Http.SendAsync(request);
                requests++;
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync();
                var where = $"{method} {pattern} as {name} → {status} {body[..Math.Min(body.Length, 300)]}";
                status.ShouldBeLessThan(500, where);
                if (status >= 400 && pattern is not ("/connect/token" or "/connect/authorize"))
                {
                    response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", where);
                }

                if (isPublic)
                {
                    continue;
                }

                if (organisation is null)
                {
                    status.ShouldBe(401, where);
                    continue;
                }

                var outsider = parameters.Any(p => objects[p].Owners.Length > 0 && !objects[p].Owners.Contains(organisation, StringComparer.Ordinal));
                if (outsider)
                {
                    status.ShouldBeInRange(400, 499, where);
                }
                else if (parameters.Count == 0 && !organisation.Equals("caf-44", StringComparison.Ordinal) && !organisation.Equals("epci-demo", StringComparison.Ordinal)
                    && !pattern.StartsWith("/api/v1/audit/", StringComparison.Ordinal))
                {
                    body.ShouldNotContain(extractId, Case.Sensitive, where);
                    body.ShouldNotContain("caf-44-matrix", Case.Sensitive, where);
                }
            }
        }

        requests.ShouldBeGreaterThan(400);
    }

    /// <summary>The claims of a demo admin, signed by a key the node never had.</summary>
    private static Task<string> ForgedTokenAsync(GatewayHost host)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(ecdsa) { KeyId = "forged" };
        var now = host.Clock.GetUtcNow().UtcDateTime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = GatewayHost.Issuer,
            Audience = GatewayHost.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object> { ["sub"] = "caf-44-admin", ["client_id"] = "caf-44-admin", ["org"] = "caf-44", ["roles"] = new[] { "admin", "dpo", "steward" } },
        });
        return Task.FromResult(token);
    }
}

public sealed class AuthorizationMatrixTests_on_Sqlite : AuthorizationMatrixTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class AuthorizationMatrixTests_on_PostgreSql : AuthorizationMatrixTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
