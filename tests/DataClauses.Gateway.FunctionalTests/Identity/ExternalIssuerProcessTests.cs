using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Catalog;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>
/// A gateway trusting a second, real issuer process (tests/DataClauses.TestIssuer, OpenIddict) through its discovery
/// document: its tokens count only for the organisations configured for it; its metadata is cached and refreshed at
/// most once per refresh interval whatever the tokens sent; its being down gives 401 quickly; a new key is picked up.
/// </summary>
public abstract class ExternalIssuerProcessTests
{
    private const string Audience = "dataclauses-partners";
    private const string Jwks = "/.well-known/jwks";

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Token_of_the_issuer_for_an_organisation_it_may_speak_for_is_accepted()
    {
        await using var issuer = await TestIssuerProcess.StartAsync("caf-44", "admin", Audience);
        await using var host = await StartTrustingAsync(issuer.Issuer);
        using var client = host.WithToken(await issuer.GetTokenAsync());

        var clients = await client.GetFromJsonAsync<JsonElement>("api/v1/admin/clients");

        clients.EnumerateArray().Select(c => c.GetProperty("organisation").GetString()).Distinct().ShouldBe(["caf-44"]);
    }

    [Theory]
    [InlineData("dgfip-35")]
    [InlineData(null)]
    public async Task Token_of_the_issuer_for_another_organisation_or_none_is_refused_and_audited(string? organisation)
    {
        await using var issuer = await TestIssuerProcess.StartAsync(organisation, "admin", Audience);
        await using var host = await StartTrustingAsync(issuer.Issuer);
        using var client = host.WithToken(await issuer.GetTokenAsync());

        using var response = await client.GetAsync("api/v1/admin/clients");

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        var refusal = (await host.ReadAuditAsync()).Select(r => r.Event).Single(e => e.Action == "access.denied");
        refusal.Effect.ShouldBe("deny");
        refusal.Reasons.ShouldHaveSingleItem().Rule.ShouldBe("issuer-not-allowed-for-organisation");
        refusal.Reasons[0].Subject.ShouldBe(organisation ?? "(none)");
        refusal.Actor.Organisation.ShouldBe(organisation);
        refusal.Actor.Subject.ShouldBe("external:partners:" + TestIssuerProcess.ClientId);
        refusal.Details["path"].ShouldBe("/api/v1/admin/clients");
    }

    [Fact]
    public async Task Fifty_tokens_with_an_unknown_key_id_cause_at_most_one_metadata_refresh()
    {
        await using var issuer = await TestIssuerProcess.StartAsync("caf-44", "admin", Audience);
        await using var host = await StartTrustingAsync(issuer.Issuer);
        using (var known = host.WithToken(await issuer.GetTokenAsync()))
        {
            (await known.GetAsync("api/v1/admin/clients")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var before = await issuer.RequestsToAsync(Jwks);
        before.ShouldBe(1);
        for (var i = 0; i < 50; i++)
        {
            using var forged = host.WithToken(ForgedToken(issuer.Issuer, "caf-44"));
            using var response = await forged.GetAsync("api/v1/admin/clients");
            await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        }

        // A refresh runs in the background: give it the time to reach the issuer before counting.
        await Task.Delay(TimeSpan.FromSeconds(1));
        (await issuer.RequestsToAsync(Jwks) - before).ShouldBeLessThanOrEqualTo(1);
    }

    [Fact]
    public async Task Issuer_that_does_not_answer_gives_401_within_the_metadata_timeout_not_500_nor_a_hang()
    {
        // Accepts connections and never answers: the worst case for a caller waiting on it.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var address = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/";
        await using var host = await StartTrustingAsync(address, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Identity:ExternalIssuers:0:MetadataTimeout"] = "00:00:02",
        });

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            using var client = host.WithToken(ForgedToken(address, "caf-44"));
            using var response = await client.GetAsync("api/v1/admin/clients");
            await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        }

        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Issuer_that_is_down_gives_401()
    {
        var address = $"http://127.0.0.1:{TestIssuerProcess.FreePort()}/";
        await using var host = await StartTrustingAsync(address);
        using var client = host.WithToken(ForgedToken(address, "caf-44"));

        using var response = await client.GetAsync("api/v1/admin/clients");

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Key_rotation_at_the_issuer_is_picked_up_after_a_refresh()
    {
        var port = TestIssuerProcess.FreePort();
        var issuer = await TestIssuerProcess.StartAsync("caf-44", "admin", Audience, port);
        var address = issuer.Issuer;
        await using var host = await StartTrustingAsync(address, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Identity:ExternalIssuers:0:RefreshInterval"] = "00:00:01",
        });
        try
        {
            using (var first = host.WithToken(await issuer.GetTokenAsync()))
            {
                (await first.GetAsync("api/v1/admin/clients")).StatusCode.ShouldBe(HttpStatusCode.OK);
            }

            await issuer.DisposeAsync();
            issuer = await TestIssuerProcess.StartAsync("caf-44", "admin", Audience, port);
            issuer.Issuer.ShouldBe(address);
            using var rotated = host.WithToken(await issuer.GetTokenAsync());

            // The first request with the new key id asks for a refresh; within a few refresh intervals the key is known.
            await Poll.UntilAsync(
                async () =>
                {
                    using var response = await rotated.GetAsync("api/v1/admin/clients");
                    return response.StatusCode == HttpStatusCode.OK;
                },
                "the rotated key to be accepted");
            (await issuer.RequestsToAsync(Jwks)).ShouldBeGreaterThanOrEqualTo(1);
        }
        finally
        {
            await issuer.DisposeAsync();
        }
    }

    /// <summary>A well-formed token of the issuer signed with a key it never published (an unknown kid).</summary>
    private static string ForgedToken(string issuer, string organisation)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = Audience,
            Expires = DateTime.UtcNow.AddMinutes(5),
            Subject = new ClaimsIdentity([new Claim("sub", "intruder"), new Claim("org", organisation), new Claim("roles", "admin")]),
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = "unknown-" + Guid.NewGuid().ToString("N") }, SecurityAlgorithms.EcdsaSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    private Task<GatewayHost> StartTrustingAsync(string issuer, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Identity:ExternalIssuers:0:Name"] = "partners",
            ["DataClauses:Identity:ExternalIssuers:0:Issuer"] = issuer,
            ["DataClauses:Identity:ExternalIssuers:0:Authority"] = issuer,
            ["DataClauses:Identity:ExternalIssuers:0:Audience"] = Audience,
            ["DataClauses:Identity:ExternalIssuers:0:RequireHttpsMetadata"] = "false",
            ["DataClauses:Identity:ExternalIssuers:0:Organisations:0"] = "caf-44",
            ["DataClauses:Identity:ExternalIssuers:0:Organisations:1"] = "epci-demo",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return GatewayHost.StartAsync(Provider, settings);
    }
}

public sealed class ExternalIssuerProcessTests_on_Sqlite : ExternalIssuerProcessTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class ExternalIssuerProcessTests_on_PostgreSql : ExternalIssuerProcessTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
