using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using DataClauses.Gateway.FunctionalTests.Queries;
using DataClauses.Gateway.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace DataClauses.Gateway.FunctionalTests.Hosting;

/// <summary>
/// OpenTelemetry through the hosting integration, on PostgreSQL (so that Npgsql's spans are there too): a protected
/// query yields one trace holding its decision span, and no token, secret or data row reaches a span or a log.
/// </summary>
[Collection(nameof(TelemetryTests))]
public sealed class TelemetryTests
{
    [Fact]
    public async Task Protected_query_traces_its_decision_and_no_token_secret_or_data_row_reaches_spans_or_logs()
    {
        var spans = new List<Activity>();
        var logs = new ConcurrentQueue<string>();
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [Telemetry.EnabledKey] = "true",
            ["DataClauses:SeedDemoDatasets"] = "true",
        };
        await using var host = await GatewayHost.StartAsync(StorageProvider.PostgreSql, settings, configure: builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));
            builder.Services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddProcessor(new SimpleLogRecordExportProcessor(new LogText(logs))));
        });
        const string Organisation = "epci-demo";
        const string Role = "analyst";
        var secret = DemoAccounts.Secret(Organisation, Role);
        var token = await host.GetTokenAsync(DemoAccounts.ClientId(Organisation, Role), secret);
        using var analyst = host.WithToken(token);

        using var answer = await QueryHosts.PostAsync(analyst, QueryHosts.QueriesPath, QueryHosts.CafByQpvAndType());
        answer.StatusCode.ShouldBe(HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        // The server span ends (and is exported) just after the response is sent.
        Activity[] exported = [];
        for (var wait = 0; wait < 100 && !exported.Any(IsQuery); wait++)
        {
            await Task.Delay(100);
            lock (spans)
            {
                exported = [.. spans];
            }
        }

        var request = exported.Single(IsQuery);
        var trace = exported.Where(a => a.TraceId == request.TraceId).ToList();
        var decision = trace.Single(a => a.OperationName == Telemetry.Spans.Decision);
        decision.GetTagItem("dataclauses.effect").ShouldBe("permit");
        AncestorsOf(decision, trace).ShouldContain(request);
        trace.ShouldContain(a => a.Source.Name == "Npgsql", "Npgsql instrumentation");
        exported.ShouldContain(a => a.OperationName == Telemetry.Spans.CubeBuild);
        logs.ShouldNotBeEmpty();

        // Data rows: the identifiers and values stored in the queried version's table.
        var table = (string)(await host.Database.ScalarAsync($"SELECT table_name FROM dataset_versions WHERE dataset_id = '{QueryHosts.Caf}' AND version = '{QueryHosts.CafVersion}'"))!;
        var rows = await ReadStringsAsync(host.Database, $"SELECT * FROM \"{table}\" LIMIT 200");
        rows.Count.ShouldBeGreaterThan(10);

        var forbidden = new[] { token, secret, token[..24] }.Concat(rows).ToList();
        var texts = exported.SelectMany(Texts).Concat(logs).ToList();
        texts.Count.ShouldBeGreaterThan(100);
        var leaks = texts.SelectMany(text => forbidden.Where(f => text.Contains(f, StringComparison.Ordinal)).Select(f => $"'{f}' in '{text}'")).Take(5).ToList();
        leaks.ShouldBeEmpty();
    }

    private static bool IsQuery(Activity span) => span.Kind == ActivityKind.Server && Equals(span.GetTagItem("http.route"), "/" + QueryHosts.QueriesPath);

    private static IEnumerable<Activity> AncestorsOf(Activity span, IReadOnlyList<Activity> trace)
    {
        for (var parent = trace.FirstOrDefault(a => a.SpanId == span.ParentSpanId); parent is not null; parent = trace.FirstOrDefault(a => a.SpanId == parent.ParentSpanId))
        {
            yield return parent;
        }
    }

    private static IEnumerable<string> Texts(Activity span)
    {
        yield return span.DisplayName;
        foreach (var (key, value) in span.TagObjects)
        {
            yield return $"{key}={value}";
        }

        foreach (var e in span.Events)
        {
            yield return e.Name;
            foreach (var (key, value) in e.Tags)
            {
                yield return $"{key}={value}";
            }
        }

        foreach (var (key, value) in span.Baggage)
        {
            yield return $"{key}={value}";
        }
    }

    /// <summary>Every text value of at least 5 characters in the first rows (short codes would match by chance).</summary>
    private static async Task<List<string>> ReadStringsAsync(TestDatabase database, string sql)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (reader.GetValue(i) is string text && text.Length >= 5)
                {
                    values.Add(text);
                }
            }
        }

        return [.. values];
    }

    /// <summary>Copies each log record's text at once (log records are pooled and reused after export).</summary>
    private sealed class LogText(ConcurrentQueue<string> texts) : BaseExporter<LogRecord>
    {
        public override ExportResult Export(in Batch<LogRecord> batch)
        {
            foreach (var record in batch)
            {
                texts.Enqueue($"{record.CategoryName}: {record.FormattedMessage ?? record.Body}");
                foreach (var (key, value) in record.Attributes ?? [])
                {
                    texts.Enqueue($"{key}={value}");
                }

                if (record.Exception is { } exception)
                {
                    texts.Enqueue(exception.ToString());
                }
            }

            return ExportResult.Success;
        }
    }
}

/// <summary>
/// Instrumentation listens process-wide: the telemetry tests run alone, after the others, so that no other test's
/// host adds its spans to theirs.
/// </summary>
[CollectionDefinition(nameof(TelemetryTests), DisableParallelization = true)]
public sealed class TelemetryCollection;
