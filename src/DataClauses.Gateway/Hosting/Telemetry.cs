using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DataClauses.Gateway.Hosting;

/// <summary>The gateway's traces and metrics, and their OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</summary>
internal static class Telemetry
{
    public const string Name = "DataClauses.Gateway";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Decisions = Meter.CreateCounter<long>("dataclauses.decisions", description: "Policy decisions by effect.");

    public static readonly Counter<long> CellsSuppressed = Meter.CreateCounter<long>("dataclauses.cells_suppressed", description: "Cells suppressed in protected answers.");

    public static readonly Counter<long> CubeBuilds = Meter.CreateCounter<long>("dataclauses.cube_builds", description: "Protected cubes built.");

    public static readonly Counter<long> ExtractPurges = Meter.CreateCounter<long>("dataclauses.extract_purges", description: "Extracts purged at expiry.");

    public static readonly Counter<long> ImportedRows = Meter.CreateCounter<long>("dataclauses.import_rows", unit: "{row}", description: "Rows imported into dataset versions.");

    public static readonly Histogram<double> ImportRate = Meter.CreateHistogram<double>("dataclauses.import_rate", unit: "{row}/s", description: "Import speed of each publication.");

    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return services;
        }

        // OpenTelemetry.Extensions.Hosting is not available here: build the providers and let the container dispose them.
        services.AddSingleton(_ => Sdk.CreateTracerProviderBuilder()
            .AddSource("Microsoft.AspNetCore", Name)
            .AddOtlpExporter()
            .Build());
        services.AddSingleton(_ => Sdk.CreateMeterProviderBuilder()
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", Name)
            .AddOtlpExporter()
            .Build());
        services.AddHostedService<TelemetryStarter>();
        return services;
    }

    /// <summary>Resolves the providers at start so that listening begins before the first request.</summary>
    private sealed class TelemetryStarter(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = services.GetService<TracerProvider>();
            _ = services.GetService<MeterProvider>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
