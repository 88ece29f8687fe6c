using System.Collections.Concurrent;
using System.Net;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using DataClauses.Gateway.FunctionalTests.Queries;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace DataClauses.Gateway.FunctionalTests.Hosting;

/// <summary>
/// With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, the gateway exports traces, metrics and logs by OTLP (HTTP/protobuf
/// here) to a collector: a loopback receiver that records what arrives on <c>/v1/traces</c>, <c>/v1/metrics</c> and
/// <c>/v1/logs</c>. Without the variable nothing is exported (the other tests' hosts).
/// </summary>
[Collection(nameof(TelemetryTests))]
public sealed class OtlpExportTests
{
    [Fact]
    public async Task Gateway_exports_traces_metrics_and_logs_by_otlp_when_the_endpoint_is_set()
    {
        var received = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var collector = WebApplication.CreateSlimBuilder();
        collector.WebHost.UseUrls("http://127.0.0.1:0");
        collector.Logging.ClearProviders();
        await using var receiver = collector.Build();
        receiver.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.AddOrUpdate(signal, body.Length, (_, total) => total + body.Length);
            return Results.Ok();
        });
        await receiver.StartAsync();
        var endpoint = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["DataClauses:SeedDemoDatasets"] = "true",
        };
        await using (var host = await GatewayHost.StartAsync(StorageProvider.Sqlite, settings, configure: builder => builder.Logging.SetMinimumLevel(LogLevel.Information)))
        {
            using var analyst = await host.ClientForAsync("epci-demo", "analyst");
            using var answer = await QueryHosts.PostAsync(analyst, QueryHosts.QueriesPath, QueryHosts.CafByQpvAndType());
            answer.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // Stopping the host flushes every exporter.
        received.Keys.Order(StringComparer.Ordinal).ShouldBe(["logs", "metrics", "traces"]);
        received.Values.ShouldAllBe(bytes => bytes > 0);
    }
}
