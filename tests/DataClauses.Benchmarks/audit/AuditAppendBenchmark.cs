using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using DataClauses.Audit;
using DataClauses.Gateway;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataClauses.Benchmarks.Audit;

/// <summary>
/// The sustained audit append rate on PostgreSQL with durable commits: <c>--replicas</c> gateway instances (each its
/// own <see cref="AuditAppender"/> and connection pool, as two replicas would be) on one database, <c>--writers</c>
/// concurrent callers each appending one event and awaiting its commit, for <c>--seconds</c>. Prints events/s, the
/// group-commit batch sizes, the callers' latency, and verifies the chain at the end. <c>--fill N</c> instead appends
/// until the chain holds N events (for the verification benchmark). Run by audit/run-audit-benchmark.sh.
/// </summary>
internal static class AuditAppendBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Parse(args);
        var connection = options.GetValueOrDefault("--connection") ?? throw new InvalidOperationException("--connection is required");
        var replicas = int.Parse(options.GetValueOrDefault("--replicas") ?? "2", CultureInfo.InvariantCulture);
        var writers = int.Parse(options.GetValueOrDefault("--writers") ?? "64", CultureInfo.InvariantCulture);
        var seconds = double.Parse(options.GetValueOrDefault("--seconds") ?? "20", CultureInfo.InvariantCulture);
        var fill = options.TryGetValue("--fill", out var fillText) ? long.Parse(fillText, CultureInfo.InvariantCulture) : (long?)null;

        var apps = new List<WebApplication>();
        try
        {
            for (var i = 0; i < replicas; i++)
            {
                var app = GatewayApp.Build(
                    ["--urls", "http://127.0.0.1:0", "--DataClauses:Storage:Provider=PostgreSQL", $"--DataClauses:Storage:ConnectionString={connection}",
                     "--DataClauses:SeedDemo=false", "--DataClauses:NodeId=epci-demo", "--Logging:LogLevel:Default=Warning"],
                    b => b.Logging.SetMinimumLevel(LogLevel.Warning));
                await GatewayApp.InitialiseAsync(app);
                apps.Add(app);
            }

            if (fill is { } target)
            {
                return await FillAsync(apps[0], target);
            }

            return await MeasureAsync(apps, writers, seconds);
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static async Task<int> MeasureAsync(List<WebApplication> apps, int writers, double seconds)
    {
        var batches = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "dataclauses.audit.batch_size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            lock (batches)
            {
                batches.Add(value);
            }
        });
        listener.Start();

        var appenders = apps.Select(a => a.Services.GetRequiredService<AuditAppender>()).ToList();
        var before = await HeadAsync(apps[0]);

        // Warm-up: a few seconds unmeasured (JIT, connection pools).
        await RunWritersAsync(appenders, writers, TimeSpan.FromSeconds(3), null);
        lock (batches)
        {
            batches.Clear();
        }

        var latencies = new List<double>[writers];
        var clock = Stopwatch.StartNew();
        var appended = await RunWritersAsync(appenders, writers, TimeSpan.FromSeconds(seconds), latencies);
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToList();
        List<int> sizes;
        lock (batches)
        {
            sizes = [.. batches];
        }

        var rate = appended / elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replicas={apps.Count} writers={writers} seconds={elapsed:F1} events={appended} events_per_s={rate:F0} batches={sizes.Count} batch_mean={sizes.DefaultIfEmpty().Average():F1} batch_p50={Percentile(sizes.Order().ToList(), 0.5)} batch_max={sizes.DefaultIfEmpty().Max()} latency_ms_p50={Percentile(all, 0.5):F2} latency_ms_p99={Percentile(all, 0.99):F2}"));

        var verification = await VerifyAsync(apps[0]);
        var after = await HeadAsync(apps[0]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chain: intact={verification.Intact} events={verification.EventsChecked} head={after} (was {before}) {verification.Problem} {verification.Detail}"));
        return verification.Intact ? 0 : 1;
    }

    private static async Task<long> RunWritersAsync(List<AuditAppender> appenders, int writers, TimeSpan duration, List<double>[]? latencies)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long total = 0;
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var appender = appenders[w % appenders.Count];
            var mine = latencies is null ? null : latencies[w] = [];
            long count = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                await appender.AppendAsync(Event(w, count), CancellationToken.None);
                mine?.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                count++;
            }

            Interlocked.Add(ref total, count);
        }));
        await Task.WhenAll(tasks);
        return total;
    }

    private static async Task<int> FillAsync(WebApplication app, long target)
    {
        var clock = Stopwatch.StartNew();
        var head = await HeadAsync(app);
        while (head < target)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            var count = (int)Math.Min(10_000, target - head);
            await AuditWriter.AppendManyAsync(db, [.. Enumerable.Range(0, count).Select(i => Event(i % 64, head + i))], CancellationToken.None);
            await transaction.CommitAsync();
            head += count;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"filled: head={head} in {clock.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }

    private static async Task<long> HeadAsync(WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var head = await new AuditLedger(scope.ServiceProvider.GetRequiredService<GatewayDbContext>()).HeadAsync(CancellationToken.None);
        return head?.Sequence ?? 0;
    }

    private static async Task<AuditVerification> VerifyAsync(WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await new AuditLedger(scope.ServiceProvider.GetRequiredService<GatewayDbContext>()).VerifyAsync(null, null, CancellationToken.None);
    }

    /// <summary>A realistic event: a permitted query with its reasons, obligations and details (about 900 bytes of canonical JSON).</summary>
    internal static AuditEvent Event(int writer, long i) => new()
    {
        Action = "query.answered",
        Outcome = "success",
        Timestamp = new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero).AddMilliseconds(i),
        Actor = new AuditActor($"epci-demo-analyst-{writer}", "epci-demo", ["analyst"], $"epci-demo-analyst-{writer}", "10.0.0." + (writer % 250).ToString(CultureInfo.InvariantCulture)),
        DataOwner = "caf-44",
        Dataset = "caf-foyers-allocataires",
        Version = "2024-12-31",
        Purpose = "observation",
        Effect = "permit",
        Reasons = [new AuditReason("clause-permits", "caf-foyers-qpv", null)],
        Obligations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["minCount"] = "11", ["dominance"] = "n=1,k=85", ["rounding"] = "none", ["secondarySuppression"] = "true",
            ["allowedDimensions"] = "qpv,commune,type_menage,prestation", ["allowedMeasures"] = "foyers,montant_mensuel", ["finestGeography"] = "qpv",
        },
        CellsSuppressed = i % 7,
        CorrelationId = Convert.ToHexStringLower(BitConverter.GetBytes(i)) + writer.ToString("x4", CultureInfo.InvariantCulture),
        NodeId = "epci-demo",
        Details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["dimensions"] = "qpv,type_menage", ["measures"] = "foyers", ["filters"] = string.Empty, ["contract"] = "cdv-demo-2024-2030",
            ["clause"] = "caf-foyers-qpv", ["cellsReturned"] = "78", ["format"] = "json",
        },
    };

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];

    private static int Percentile(List<int> sorted, double p) => sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];

    private static Dictionary<string, string> Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i]] = args[i + 1];
        }

        return options;
    }
}
