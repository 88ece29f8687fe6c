using System.Net;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Identity;

/// <summary>Rate limits per client on the token endpoint and per caller on the API, on hosts of their own with low limits.</summary>
public abstract class RateLimitTests
{
    protected abstract StorageProvider Provider { get; }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Token_endpoint_answers_429_with_Retry_After_past_the_limit_of_one_client_and_not_of_another(bool clientSecretPost)
    {
        await using var host = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Limits:TokenRequestsPerMinute"] = "3",
        });
        var (limited, limitedSecret) = (DemoAccounts.ClientId("caf-44", "publisher"), DemoAccounts.Secret("caf-44", "publisher"));
        var (other, otherSecret) = (DemoAccounts.ClientId("ft-pdl", "publisher"), DemoAccounts.Secret("ft-pdl", "publisher"));

        for (var i = 0; i < 3; i++)
        {
            using var accepted = await host.RequestTokenAsync(limited, limitedSecret, clientSecretPost);
            accepted.StatusCode.ShouldBe(HttpStatusCode.OK, $"request {i + 1}");
        }

        using var refused = await host.RequestTokenAsync(limited, limitedSecret, clientSecretPost);
        await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "too-many-requests");
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        retryAfter.ShouldBeInRange(1, 60);

        using var otherClient = await host.RequestTokenAsync(other, otherSecret, clientSecretPost);
        otherClient.StatusCode.ShouldBe(HttpStatusCode.OK, "the limit is per client");
    }

    [Fact]
    public async Task Token_endpoint_limits_guesses_of_a_secret_too()
    {
        await using var host = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Limits:TokenRequestsPerMinute"] = "3",
        });
        var clientId = DemoAccounts.ClientId("caf-44", "publisher");

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await host.RequestTokenAsync(clientId, "guess-" + i, post: true);
            wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        using var refused = await host.RequestTokenAsync(clientId, DemoAccounts.Secret("caf-44", "publisher"), post: true);
        await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "too-many-requests");
    }

    [Fact]
    public async Task Api_answers_429_with_Retry_After_past_the_limit_of_one_caller_and_not_of_another()
    {
        await using var host = await GatewayHost.StartAsync(Provider, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Limits:ApiRequestsPerSecond"] = "1",
        });
        using var busy = await host.ClientForAsync("caf-44", "admin");
        using var quiet = await host.ClientForAsync("epci-demo", "admin");

        // A bucket of 2 refilled at 1 per second: 10 requests sent at once cannot all pass, however slow the machine.
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => busy.GetAsync("api/v1/admin/clients")));
        try
        {
            var statuses = responses.Select(r => r.StatusCode).ToList();
            statuses.ShouldContain(HttpStatusCode.OK);
            statuses.ShouldContain(HttpStatusCode.TooManyRequests);
            statuses.ShouldAllBe(s => s == HttpStatusCode.OK || s == HttpStatusCode.TooManyRequests);
            var limited = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
            await limited.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "too-many-requests");
            limited.Headers.Contains("Retry-After").ShouldBeTrue();
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }

        using var other = await quiet.GetAsync("api/v1/admin/clients");
        other.StatusCode.ShouldBe(HttpStatusCode.OK, "the limit is per caller");
    }
}

public sealed class RateLimitTests_on_Sqlite : RateLimitTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class RateLimitTests_on_PostgreSql : RateLimitTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
