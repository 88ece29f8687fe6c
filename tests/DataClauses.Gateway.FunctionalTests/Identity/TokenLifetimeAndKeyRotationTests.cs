using System.Net;
using System.Net.Http.Headers;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>
/// Expiry and signing key rotation without downtime, on hosts of their own whose clock the tests move
/// (SigningKeyLifetime 4 h: a successor is published after 3 h and signs from 10 min 30 s before the old key retires).
/// </summary>
public abstract class TokenLifetimeAndKeyRotationTests
{
    private const string ProtectedPath = "api/v1/admin/clients";

    private static readonly Dictionary<string, string?> FourHourKeys = new(StringComparer.Ordinal)
    {
        ["DataClauses:Identity:SigningKeyLifetime"] = "04:00:00",
    };

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Token_is_accepted_until_its_expiry_plus_clock_skew_and_refused_after()
    {
        await using var host = await GatewayHost.StartAsync(Provider);
        var token = await host.GetDemoTokenAsync("caf-44", "admin");
        (await StatusAsync(host, token)).ShouldBe(HttpStatusCode.OK, "valid, and now remembered as validated");

        host.Clock.Advance(TimeSpan.FromMinutes(10));
        (await StatusAsync(host, token)).ShouldBe(HttpStatusCode.OK, "within the 30 s clock skew");

        host.Clock.Advance(TimeSpan.FromSeconds(31));
        (await StatusAsync(host, token)).ShouldBe(HttpStatusCode.Unauthorized);

        var fresh = await host.GetDemoTokenAsync("caf-44", "admin");
        (await StatusAsync(host, fresh)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Successor_key_is_published_in_the_JWKS_after_three_quarters_of_the_key_lifetime_before_it_signs()
    {
        await using var host = await GatewayHost.StartAsync(Provider, FourHourKeys);
        var start = host.Clock.GetUtcNow();
        var first = await KeyIdOfNewTokenAsync(host);
        (await JwksKeyIdsAsync(host)).ShouldBe([first]);

        host.Clock.MoveTo(start + TimeSpan.FromHours(2.9));
        (await KeyIdOfNewTokenAsync(host)).ShouldBe(first);
        (await JwksKeyIdsAsync(host)).ShouldBe([first]);

        host.Clock.MoveTo(start + TimeSpan.FromHours(3.1));
        var published = await JwksKeyIdsAsync(host);
        published.Count.ShouldBe(2);
        published.ShouldContain(first);
        (await KeyIdOfNewTokenAsync(host)).ShouldBe(first, "the successor is published before it signs");
    }

    [Fact]
    public async Task Tokens_of_the_old_key_stay_valid_after_the_successor_takes_over_until_they_expire_and_the_old_key_leaves_the_JWKS()
    {
        await using var host = await GatewayHost.StartAsync(Provider, FourHourKeys);
        var start = host.Clock.GetUtcNow();
        var (oldKey, oldKeyId) = await host.GetSigningKeyAsync();

        // Just before the successor activates (old key retires at 4 h; the successor signs from 3 h 49 min 30 s).
        host.Clock.MoveTo(start + new TimeSpan(3, 49, 0));
        var oldToken = await host.GetDemoTokenAsync("caf-44", "admin");
        KeyIdOf(oldToken).ShouldBe(oldKeyId);

        host.Clock.MoveTo(start + new TimeSpan(3, 50, 0));
        var newToken = await host.GetDemoTokenAsync("caf-44", "admin");
        var newKeyId = KeyIdOf(newToken);
        newKeyId.ShouldNotBe(oldKeyId);
        (await StatusAsync(host, oldToken)).ShouldBe(HttpStatusCode.OK, "a token of the old key is valid until it expires");
        (await StatusAsync(host, newToken)).ShouldBe(HttpStatusCode.OK);
        (await JwksKeyIdsAsync(host)).ShouldBe([oldKeyId, newKeyId], ignoreOrder: true);

        // The old token expired (3 h 59 min + 30 s skew); its key stays published until 4 h 10 min 30 s.
        host.Clock.MoveTo(start + new TimeSpan(4, 0, 0));
        (await StatusAsync(host, oldToken)).ShouldBe(HttpStatusCode.Unauthorized);
        (await JwksKeyIdsAsync(host)).ShouldContain(oldKeyId);
        // A token signed with the old key by whoever held it, living past the key itself.
        var crafted = Craft(host, oldKey, minutes: 60);
        (await StatusAsync(host, crafted)).ShouldBe(HttpStatusCode.OK, "the retired key still validates while published");

        host.Clock.MoveTo(start + new TimeSpan(4, 11, 0));
        (await JwksKeyIdsAsync(host)).ShouldBe([newKeyId]);
        (await StatusAsync(host, Craft(host, oldKey))).ShouldBe(HttpStatusCode.Unauthorized, "an expired key validates nothing");
        (await StatusAsync(host, crafted)).ShouldBe(HttpStatusCode.Unauthorized, "nor does a token validated (and remembered) while it did");
        (await StatusAsync(host, await host.GetDemoTokenAsync("caf-44", "admin"))).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Replica_whose_clock_is_a_little_behind_the_one_that_created_the_first_key_issues_tokens_with_it()
    {
        await using var database = await TestDatabase.CreateAsync(Provider);
        var ahead = TestClock.StartingNow();
        var behind = new TestClock(ahead.GetUtcNow() - TimeSpan.FromSeconds(2));
        await using var first = await GatewayHost.StartAsync(Provider, database: database, clock: ahead);
        await using var second = await GatewayHost.StartAsync(Provider, database: database, clock: behind);
        var (_, firstKeyId) = await first.GetSigningKeyAsync();

        var token = await second.GetDemoTokenAsync("caf-44", "admin");

        KeyIdOf(token).ShouldBe(firstKeyId, "one key for both replicas, active for the one whose clock is behind");
        (await StatusAsync(first, token)).ShouldBe(HttpStatusCode.OK);
        (await StatusAsync(second, await first.GetDemoTokenAsync("caf-44", "admin"))).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_node_that_issued_no_token_for_longer_than_a_key_lifetime_signs_with_a_new_key()
    {
        await using var host = await GatewayHost.StartAsync(Provider, FourHourKeys);
        var (_, firstKeyId) = await host.GetSigningKeyAsync();

        host.Clock.Advance(TimeSpan.FromHours(9));
        var token = await host.GetDemoTokenAsync("caf-44", "admin");

        KeyIdOf(token).ShouldNotBe(firstKeyId);
        (await StatusAsync(host, token)).ShouldBe(HttpStatusCode.OK);
        (await JwksKeyIdsAsync(host)).ShouldNotContain(firstKeyId);
    }

    private static string KeyIdOf(string token) => new JsonWebTokenHandler().ReadJsonWebToken(token).Kid;

    private static async Task<string> KeyIdOfNewTokenAsync(GatewayHost host) => KeyIdOf(await host.GetDemoTokenAsync("caf-44", "admin"));

    private static async Task<List<string>> JwksKeyIdsAsync(GatewayHost host)
    {
        using var response = await host.Http.GetAsync(".well-known/jwks.json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return [.. (await GatewayHost.JsonOf(response)).GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayHost host, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ProtectedPath);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await host.Http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>A well-formed, current token signed with a given key.</summary>
    private static string Craft(GatewayHost host, ECDsaSecurityKey key, int minutes = 5)
    {
        var now = host.Clock.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = GatewayHost.Issuer,
            Audience = GatewayHost.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(minutes),
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["sub"] = "caf-44-admin",
                ["client_id"] = "caf-44-admin",
                ["org"] = "caf-44",
                ["roles"] = new[] { "admin" },
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
        });
    }
}

public sealed class TokenLifetimeAndKeyRotationTests_on_Sqlite : TokenLifetimeAndKeyRotationTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class TokenLifetimeAndKeyRotationTests_on_PostgreSql : TokenLifetimeAndKeyRotationTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
