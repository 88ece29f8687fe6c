using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DataClauses.Benchmarks.Extracts;

/// <summary>
/// The extracts load test (docs/BENCHMARKS.md, "Extracts under load"): N analysts (clients created through the admin
/// API) each loop for D seconds: request an extract of job seekers (automatic approval), poll it until ready, download
/// its CSV. It reports the latency percentiles of <c>POST /api/v1/extracts</c>, the time to ready, the downloads, the
/// throughput and every error, and writes the ids of the extracts it was granted (one per line) so that the driver
/// script can check the database holds each exactly once. Built and run by <c>run-extracts-load.sh</c> (which compiles
/// this file into a small console of its own); it also compiles, unused, in the benchmarks project.
/// </summary>
internal static class ExtractsLoad
{
    /// <summary>The start, when every analyst sends its first request at once, is reported apart.</summary>
    private static readonly TimeSpan SteadyAfter = TimeSpan.FromSeconds(5);

    private const string Justification = "Tableau de bord mensuel des demandeurs d'emploi par QPV (test de charge).";

    /// <summary>Runs the load; exit code 0 when nothing failed.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var http = new HttpClient(handler) { BaseAddress = options.Server, Timeout = TimeSpan.FromMinutes(2) };

        Console.WriteLine($"Creating {options.Analysts} analyst clients of epci-demo through the admin API…");
        var adminToken = await TokenAsync(http, options.AdminId, options.AdminSecret);
        var run = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        var analysts = new (string Id, string Secret)[options.Analysts];
        await Parallel.ForAsync(0, options.Analysts, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var clientId = string.Create(CultureInfo.InvariantCulture, $"load-{run}-{i:D3}");
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/admin/clients") { Content = JsonContent.Create(new { clientId, roles = new[] { "analyst" }, description = "extracts load test" }) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"creating {clientId}: {(int)response.StatusCode} {body}");
            }

            using var json = JsonDocument.Parse(body);
            analysts[i] = (clientId, json.RootElement.GetProperty("clientSecret").GetString()!);
        });
        var tokens = new string[options.Analysts];
        await Parallel.ForAsync(0, options.Analysts, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) => tokens[i] = await TokenAsync(http, analysts[i].Id, analysts[i].Secret));

        var results = new Results();
        Console.WriteLine($"{options.Analysts} analysts request, poll and download for {options.Duration.TotalSeconds:0} s…");
        var clock = Stopwatch.StartNew();
        var stopAt = options.Duration;
        await Task.WhenAll(Enumerable.Range(0, options.Analysts).Select(i => Task.Run(() => WorkerAsync(http, tokens[i], clock, stopAt, options.Poll, results))));
        var elapsed = clock.Elapsed;

        await File.WriteAllLinesAsync(options.IdsFile, results.Granted.Order(StringComparer.Ordinal));
        Report(results, elapsed, options);
        return results.Errors.IsEmpty ? 0 : 1;
    }

    private static async Task WorkerAsync(HttpClient http, string token, Stopwatch clock, TimeSpan stopAt, TimeSpan poll, Results results)
    {
        var body = new
        {
            tables = new[] { new { dataset = "ft-demandeurs-emploi", dimensions = new[] { "qpv", "categorie" }, measures = new[] { "demandeurs" } } },
            purpose = "observation",
            justification = Justification,
            retention = "P1M",
        };
        while (clock.Elapsed < stopAt)
        {
            var started = Stopwatch.GetTimestamp();
            string id;
            using (var request = Authorized(HttpMethod.Post, "api/v1/extracts", token))
            {
                request.Content = JsonContent.Create(body);
                try
                {
                    using var response = await http.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    results.RequestLatencies.Add((clock.Elapsed.TotalSeconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                    if (response.StatusCode != HttpStatusCode.Created)
                    {
                        results.Errors.Add($"POST: {(int)response.StatusCode} {Shorten(text)}");
                        continue;
                    }

                    using var json = JsonDocument.Parse(text);
                    id = json.RootElement.GetProperty("id").GetString()!;
                    results.Granted.Add(id);
                }
                catch (HttpRequestException ex)
                {
                    results.Errors.Add($"POST: {ex.Message}");
                    continue;
                }
            }

            // Until ready (the producers work in the background), then the file.
            var ready = false;
            var giveUp = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 120);
            while (!ready && Stopwatch.GetTimestamp() < giveUp)
            {
                await Task.Delay(poll);
                using var request = Authorized(HttpMethod.Get, $"api/v1/extracts/{id}", token);
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                results.Polls.Increment();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    results.Errors.Add($"GET {id}: {(int)response.StatusCode} {Shorten(text)}");
                    break;
                }

                using var json = JsonDocument.Parse(text);
                var status = json.RootElement.GetProperty("status").GetString();
                if (status is "failed" or "expired" or "purged" or "denied" or "rejected")
                {
                    results.Errors.Add($"GET {id}: status {status}");
                    break;
                }

                ready = status == "ready";
            }

            if (!ready)
            {
                results.Errors.Add($"{id}: not ready after 120 s");
                continue;
            }

            results.TimeToReady.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var downloadStarted = Stopwatch.GetTimestamp();
            using (var request = Authorized(HttpMethod.Get, $"api/v1/extracts/{id}/file?format=csv", token))
            {
                using var response = await http.SendAsync(request);
                var bytes = await response.Content.ReadAsByteArrayAsync();
                results.DownloadLatencies.Add(Stopwatch.GetElapsedTime(downloadStarted).TotalMilliseconds);
                if (response.StatusCode != HttpStatusCode.OK || bytes.Length < 3 || bytes[0] != 0xEF || !Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).StartsWith("qpv;categorie;demandeurs;statut", StringComparison.Ordinal))
                {
                    results.Errors.Add($"download {id}: {(int)response.StatusCode} {Shorten(Encoding.UTF8.GetString(bytes))}");
                    continue;
                }
            }

            results.Completed.Add(id);
        }
    }

    private static void Report(Results results, TimeSpan elapsed, Options options)
    {
        var requests = results.RequestLatencies.Select(r => r.Ms).ToArray();
        Array.Sort(requests);

        // Without the first seconds, when every analyst sends its first request at once.
        var steady = results.RequestLatencies.Where(r => r.At >= SteadyAfter.TotalSeconds).Select(r => r.Ms).ToArray();
        Array.Sort(steady);
        var ready = results.TimeToReady.ToArray();
        Array.Sort(ready);
        var downloads = results.DownloadLatencies.ToArray();
        Array.Sort(downloads);
        var granted = results.Granted.ToArray();
        var seconds = elapsed.TotalSeconds;
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"analysts                 {options.Analysts}");
        report.AppendLine(CultureInfo.InvariantCulture, $"duration                 {seconds:0.0} s (requests started during the first {options.Duration.TotalSeconds:0} s; the last cycles then finished)");
        report.AppendLine(CultureInfo.InvariantCulture, $"POST /api/v1/extracts    {requests.Length} requests, {granted.Length} granted (201), {requests.Length / seconds:0.0} requests/s");
        report.AppendLine(CultureInfo.InvariantCulture, $"  latency ms             p50 {Percentile(requests, 0.50):0.0}  p95 {Percentile(requests, 0.95):0.0}  p99 {Percentile(requests, 0.99):0.0}  max {(requests.Length == 0 ? 0 : requests[^1]):0.0}");
        report.AppendLine(CultureInfo.InvariantCulture, $"  after the first {SteadyAfter.TotalSeconds:0} s    {steady.Length} requests, p50 {Percentile(steady, 0.50):0.0}  p95 {Percentile(steady, 0.95):0.0}  p99 {Percentile(steady, 0.99):0.0}  max {(steady.Length == 0 ? 0 : steady[^1]):0.0}");
        report.AppendLine(CultureInfo.InvariantCulture, $"request → ready ms        p50 {Percentile(ready, 0.50):0.0}  p95 {Percentile(ready, 0.95):0.0}  p99 {Percentile(ready, 0.99):0.0}  ({results.Polls.Value} status polls)");
        report.AppendLine(CultureInfo.InvariantCulture, $"GET …/file?format=csv    {downloads.Length} downloads, latency ms p50 {Percentile(downloads, 0.50):0.0}  p95 {Percentile(downloads, 0.95):0.0}  p99 {Percentile(downloads, 0.99):0.0}");
        report.AppendLine(CultureInfo.InvariantCulture, $"completed cycles         {results.Completed.Count} ({results.Completed.Count / seconds:0.0}/s: request, ready, downloaded)");
        report.AppendLine(CultureInfo.InvariantCulture, $"distinct ids granted     {granted.Distinct(StringComparer.Ordinal).Count()}");
        report.AppendLine(CultureInfo.InvariantCulture, $"errors                   {results.Errors.Count}");
        foreach (var error in results.Errors.GroupBy(e => e.Length > 80 ? e[..80] : e).Take(10))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"  {error.Count()} × {error.Key}");
        }

        Console.Write(report.ToString());
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static HttpRequestMessage Authorized(HttpMethod method, string path, string token)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static async Task<string> TokenAsync(HttpClient http, string clientId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token") { Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"token for {clientId}: {(int)response.StatusCode} {body}");
        }

        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] : text;

    private sealed class Results
    {
        /// <summary>When each request ended (seconds into the run) and how long it took (ms).</summary>
        public ConcurrentBag<(double At, double Ms)> RequestLatencies { get; } = [];

        public ConcurrentBag<double> TimeToReady { get; } = [];

        public ConcurrentBag<double> DownloadLatencies { get; } = [];

        public ConcurrentBag<string> Granted { get; } = [];

        public ConcurrentBag<string> Completed { get; } = [];

        public ConcurrentBag<string> Errors { get; } = [];

        public Counter Polls { get; } = new();
    }

    private sealed class Counter
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);
    }

    private sealed record Options(Uri Server, int Analysts, TimeSpan Duration, TimeSpan Poll, string AdminId, string AdminSecret, string IdsFile)
    {
        public static Options Parse(string[] args)
        {
            string Get(string name, string fallback)
            {
                var i = Array.IndexOf(args, name);
                return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
            }

            var server = Get("--server", "http://127.0.0.1:5080");
            return new Options(
                new Uri(server.EndsWith('/') ? server : server + "/"),
                int.Parse(Get("--analysts", "200"), CultureInfo.InvariantCulture),
                TimeSpan.FromSeconds(double.Parse(Get("--duration", "60"), CultureInfo.InvariantCulture)),
                TimeSpan.FromMilliseconds(double.Parse(Get("--poll-ms", "250"), CultureInfo.InvariantCulture)),
                Get("--admin-id", "epci-demo-admin"),
                Get("--admin-secret", "demo-secret-epci-demo-admin"),
                Get("--ids", "granted-ids.txt"));
        }
    }
}
