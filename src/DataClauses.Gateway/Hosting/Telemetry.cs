using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DataClauses.Gateway.Hosting;

/// <summary>
/// The gateway's traces, metrics and logs through OpenTelemetry's hosting integration (<c>AddOpenTelemetry()</c>):
/// ASP.NET Core, HttpClient and Npgsql instrumentation plus the gateway's own spans and meters, exported by OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Nothing is collected otherwise (no listener, no cost per request), unless
/// <c>DataClauses:Telemetry:Enabled</c> turns collection on for an exporter added by the host (the tests' in-memory one).
/// </summary>
/// <remarks>
/// What goes into attributes: identifiers of datasets, versions, contracts, clauses and effects — never a token, a
/// secret, a request body or a data row. ASP.NET Core and HttpClient instrumentation redact query strings by default
/// and record no headers; Npgsql records the statement text, which the gateway always parameterises.
/// </remarks>
internal static class Telemetry
{
    public const string Name = "DataClauses.Gateway";

    /// <summary>The configuration key that turns collection on without an OTLP endpoint.</summary>
    public const string EnabledKey = "DataClauses:Telemetry:Enabled";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Decisions = Meter.CreateCounter<long>("dataclauses.decisions", description: "Policy decisions by effect.");

    public static readonly Counter<long> CellsSuppressed = Meter.CreateCounter<long>("dataclauses.cells_suppressed", description: "Cells suppressed in protected answers.");

    public static readonly Counter<long> CubeBuilds = Meter.CreateCounter<long>("dataclauses.cube_builds", description: "Protected cubes built.");

    public static readonly Counter<long> ExtractPurges = Meter.CreateCounter<long>("dataclauses.extract_purges", description: "Extracts purged at expiry.");

    public static readonly Counter<long> ImportedRows = Meter.CreateCounter<long>("dataclauses.import_rows", unit: "{row}", description: "Rows imported into dataset versions.");

    public static readonly Histogram<double> ImportRate = Meter.CreateHistogram<double>("dataclauses.import_rate", unit: "{row}/s", description: "Import speed of each publication.");

    /// <summary>Span names of the gateway's own work.</summary>
    public static class Spans
    {
        public const string Decision = "dataclauses.decision";
        public const string CubeBuild = "dataclauses.cube.build";
        public const string Import = "dataset.publish";
        public const string ExtractProduction = "dataclauses.extract.produce";
        public const string ExtractPurge = "dataclauses.extract.purge";
        public const string AuditPurge = "dataclauses.audit.purge";
    }

    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!otlp && !configuration.GetValue<bool>(EnabledKey))
        {
            return services;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(Name))
            .WithTracing(tracing => tracing
                .AddSource(Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation())
            .WithLogging();
        if (otlp)
        {
            // Reads OTEL_EXPORTER_OTLP_ENDPOINT (and _PROTOCOL, _HEADERS) for traces, metrics and logs.
            telemetry.UseOtlpExporter();
        }

        return services;
    }

    /// <summary>Health probes every few seconds would drown the traces.</summary>
    private static bool IsProbe(PathString path) => path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz");
}
