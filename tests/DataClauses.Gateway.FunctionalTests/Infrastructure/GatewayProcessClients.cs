using System.Net;

namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>Demo clients of a <see cref="GatewayProcess"/> (kept out of it so that the portal tests can share the process file).</summary>
internal static class GatewayProcessClients
{
    /// <summary>An HTTP client of this process carrying a demo client's access token.</summary>
    public static async Task<HttpClient> ClientForAsync(this GatewayProcess gateway, string organisation, string role)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = GatewayHost.BasicCredentials(Demo.DemoAccounts.ClientId(organisation, role), Demo.DemoAccounts.Secret(organisation, role));
        using var response = await gateway.Http.SendAsync(request);
        var body = await GatewayHost.JsonOf(response);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToString());
        var client = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        return client;
    }
}
