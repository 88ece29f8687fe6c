using System.Net;
using System.Net.Sockets;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using DataClauses.Gateway.Hosting;

namespace DataClauses.Gateway.FunctionalTests.Deploy;

/// <summary><c>--healthcheck</c>, the container's health check (the aspnet image has neither wget nor curl).</summary>
public sealed class HealthCheckCommandTests
{
    [Fact]
    public async Task Healthcheck_exits_0_on_a_live_gateway_and_1_where_nothing_answers()
    {
        await using var host = await GatewayHost.StartAsync(StorageProvider.Sqlite);
        (await host.Http.GetAsync("healthz")).EnsureSuccessStatusCode(); // The first call compiles the pipeline; the probe waits 8 s at most.
        (await GatewayApp.RunAsync([GatewayApp.HealthCheckSwitch, new Uri(host.BaseAddress, "healthz").ToString()])).ShouldBe(0);

        // A port just freed: nothing listens there.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        (await HealthProbe.RunAsync($"http://127.0.0.1:{port}/healthz", CancellationToken.None)).ShouldBe(1);
        (await GatewayApp.RunAsync([GatewayApp.HealthCheckSwitch, new Uri(host.BaseAddress, "no-such-page").ToString()])).ShouldBe(1);
    }
}
