using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace DataClauses.Cli.Commands;

/// <summary>
/// <c>dataclauses extract request|status|download|attest</c>: analysts who script their reports request an extract,
/// follow it, download its files and attest deleting their copy at expiry (docs/extracts.md). The gateway's refusals
/// are printed one line each (<c>error rule: message</c>, then <c>error gateway: refused (status): …</c>), exit code 1.
/// </summary>
internal static class ExtractCommands
{
    /// <summary>Lets tests talk to an in-process gateway; null uses the network.</summary>
    internal static HttpMessageHandler? Handler { get; set; }

    /// <summary>How often <c>request --wait</c> polls.</summary>
    internal static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    private static readonly string[] Waiting = ["approved", "producing"];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("extract", "Request, follow, download and attest the deletion of approved extracts.");
        command.Subcommands.Add(Request(output, error));
        command.Subcommands.Add(Status(output, error));
        command.Subcommands.Add(Download(output, error));
        command.Subcommands.Add(Attest(output, error));
        return command;
    }

    private static Command Request(TextWriter output, TextWriter error)
    {
        var connection = new Connection();
        var dataset = new Option<string>("--dataset") { Description = "The dataset id in the contract.", Required = true };
        var version = new Option<string?>("--version") { Description = "The version (the current one when omitted; pinned by the gateway)." };
        var dimensions = new Option<string>("--dimensions") { Description = "Dimensions, comma-separated (e.g. qpv,categorie); empty for the total only.", DefaultValueFactory = _ => string.Empty };
        var measures = new Option<string>("--measures") { Description = "Measures, comma-separated.", Required = true };
        var filters = new Option<string[]>("--filter") { Description = "A filter dimension=value1,value2 (repeatable)." };
        var purpose = new Option<string>("--purpose") { Description = "The purpose, from the contract's vocabulary.", Required = true };
        var justification = new Option<string>("--justification") { Description = "Why the file is needed (10 to 2,000 characters).", Required = true };
        var retention = new Option<string>("--retention") { Description = "How long the copy should live (ISO-8601, e.g. P6M); the clause may shorten it.", Required = true };
        var wait = new Option<bool>("--wait") { Description = "Wait until the extract is ready (or waits for approval, or ends)." };
        var command = new Command("request", "Request an extract of one protected table.") { dataset, version, dimensions, measures, filters, purpose, justification, retention, wait };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var filterMap = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var filter in parse.GetValue(filters) ?? [])
            {
                var equals = filter.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || equals == filter.Length - 1)
                {
                    error.WriteLine($"error option: --filter must be dimension=value1,value2, not '{filter}'");
                    return CliApp.Failure;
                }

                filterMap[filter[..equals]] = Split(filter[(equals + 1)..]);
            }

            var body = new
            {
                tables = new[]
                {
                    new
                    {
                        dataset = parse.GetValue(dataset)!,
                        version = parse.GetValue(version),
                        dimensions = Split(parse.GetValue(dimensions)),
                        measures = Split(parse.GetValue(measures)),
                        filters = filterMap,
                    },
                },
                purpose = parse.GetValue(purpose)!,
                justification = parse.GetValue(justification)!,
                retention = parse.GetValue(retention)!,
            };
            return await connection.RunAsync(parse, error, async client =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/extracts") { Content = JsonContent.Create(body) };
                var (status, view) = await client.SendAsync(request, cancellationToken);
                if (status != 201 || view is not { } extract)
                {
                    return Refused(status, view, error);
                }

                output.WriteLine($"Extract {Id(extract)}: {Describe(extract)}");
                if (parse.GetValue(wait))
                {
                    while (Waiting.Contains(Status(extract), StringComparer.Ordinal))
                    {
                        await Task.Delay(PollInterval, cancellationToken);
                        using var get = new HttpRequestMessage(HttpMethod.Get, $"api/v1/extracts/{Id(extract)}");
                        var (getStatus, current) = await client.SendAsync(get, cancellationToken);
                        if (getStatus != 200 || current is not { } next)
                        {
                            return Refused(getStatus, current, error);
                        }

                        extract = next;
                    }

                    output.WriteLine($"Extract {Id(extract)}: {Describe(extract)}");
                }

                return CliApp.Success;
            });
        });
        return command;
    }

    private static Command Status(TextWriter output, TextWriter error)
    {
        var connection = new Connection();
        var id = new Argument<string>("id") { Description = "The extract id." };
        var json = new Option<bool>("--json") { Description = "Print the gateway's JSON instead of a summary." };
        var command = new Command("status", "Show an extract's status, approvals and expiry.") { id, json };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await connection.RunAsync(parse, error, async client =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/extracts/{Uri.EscapeDataString(parse.GetValue(id)!)}");
            var (status, view) = await client.SendAsync(request, cancellationToken);
            if (status != 200 || view is not { } extract)
            {
                return Refused(status, view, error);
            }

            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(extract, new JsonSerializerOptions { WriteIndented = true }));
                return CliApp.Success;
            }

            output.WriteLine($"Extract {Id(extract)}: {Describe(extract)}");
            foreach (var table in extract.GetProperty("tables").EnumerateArray())
            {
                output.WriteLine($"  table {table.GetProperty("dataset").GetString()}@{table.GetProperty("version").GetString()} under {table.GetProperty("clause").GetString()}: {string.Join(',', table.GetProperty("dimensions").EnumerateArray().Select(d => d.GetString()))} × {string.Join(',', table.GetProperty("measures").EnumerateArray().Select(m => m.GetString()))}");
            }

            foreach (var vote in extract.GetProperty("approvals").GetProperty("votes").EnumerateArray())
            {
                output.WriteLine($"  {vote.GetProperty("decision").GetString()} by {vote.GetProperty("steward").GetString()} ({vote.GetProperty("organisation").GetString()}) at {vote.GetProperty("at").GetString()}");
            }

            return CliApp.Success;
        }));
        return command;
    }

    private static Command Download(TextWriter output, TextWriter error)
    {
        var connection = new Connection();
        var id = new Argument<string>("id") { Description = "The extract id." };
        var format = new Option<string>("--format") { Description = "csv or json.", Required = true };
        format.AcceptOnlyFromAmong("csv", "json");
        var table = new Option<int?>("--table") { Description = "For csv: the table (1-based) when the extract has several." };
        var file = new Option<FileInfo>("--output") { Description = "Where to write the file.", Required = true };
        var command = new Command("download", "Download a ready extract's file (the requester only, until its deadline).") { id, format, table, file };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await connection.RunAsync(parse, error, async client =>
        {
            var query = $"format={parse.GetValue(format)}" + (parse.GetValue(table) is { } t ? $"&table={t.ToString(CultureInfo.InvariantCulture)}" : string.Empty);
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/extracts/{Uri.EscapeDataString(parse.GetValue(id)!)}/file?{query}");
            var (status, bytes, headers, problem) = await client.SendForBytesAsync(request, cancellationToken);
            if (status != 200)
            {
                return Refused(status, problem, error);
            }

            var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (headers.TryGetValues("DataClauses-Content-Sha256", out var expected) && !expected.Contains(sha256, StringComparer.Ordinal))
            {
                error.WriteLine($"error integrity: the file received does not match the gateway's SHA-256 ({string.Join(',', expected)}); nothing was written");
                return CliApp.Failure;
            }

            var target = parse.GetValue(file)!;
            await File.WriteAllBytesAsync(target.FullName, bytes, cancellationToken);
            var deadline = headers.TryGetValues("DataClauses-Retention-Deadline", out var values) ? values.FirstOrDefault() : null;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Saved {bytes.Length} bytes to {target.FullName} (sha256 {sha256}). Delete it by {deadline} and attest it: dataclauses extract attest {parse.GetValue(id)}"));
            return CliApp.Success;
        }));
        return command;
    }

    private static Command Attest(TextWriter output, TextWriter error)
    {
        var connection = new Connection();
        var id = new Argument<string>("id") { Description = "The extract id." };
        var command = new Command("attest", "Attest, once the extract has expired, that you deleted every copy of it.") { id };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await connection.RunAsync(parse, error, async client =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/extracts/{Uri.EscapeDataString(parse.GetValue(id)!)}/attest-deletion");
            var (status, view) = await client.SendAsync(request, cancellationToken);
            if (status != 200 || view is not { } extract)
            {
                return Refused(status, view, error);
            }

            output.WriteLine($"Deletion of extract {Id(extract)} attested by {extract.GetProperty("attestedBy").GetString()} at {extract.GetProperty("attestedAt").GetString()}.");
            return CliApp.Success;
        }));
        return command;
    }

    private static string Id(JsonElement extract) => extract.GetProperty("id").GetString()!;

    private static string Status(JsonElement extract) => extract.GetProperty("status").GetString()!;

    /// <summary><c>ready (100 %), retention until 2026-05-21T10:00:00.000Z</c>, with the purge reason or failure when there is one.</summary>
    private static string Describe(JsonElement extract)
    {
        var status = Status(extract);
        var text = status == "producing"
            ? string.Create(CultureInfo.InvariantCulture, $"producing ({extract.GetProperty("progress").GetInt32()} %)")
            : status;
        text += $", retention until {extract.GetProperty("retentionDeadline").GetString()}";
        if (status == "pending-approval")
        {
            var required = extract.GetProperty("approvals").GetProperty("required").EnumerateObject().Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Value.GetInt32()} steward(s) of {p.Name}"));
            text += $"; waiting for {string.Join(" and ", required)}";
        }

        if (extract.TryGetProperty("purgeReason", out var reason) && reason.ValueKind == JsonValueKind.String)
        {
            text += $"; purge reason: {reason.GetString()}";
        }

        if (extract.TryGetProperty("failure", out var failure) && failure.ValueKind == JsonValueKind.String)
        {
            text += $"; {failure.GetString()}";
        }

        return text;
    }

    /// <summary>Prints a refusal: the decision's reasons, the field errors, then the problem in one line.</summary>
    private static int Refused(int status, JsonElement? body, TextWriter error)
    {
        if (body is { ValueKind: JsonValueKind.Object } problem)
        {
            if (problem.TryGetProperty("reasons", out var reasons) && reasons.ValueKind == JsonValueKind.Array)
            {
                foreach (var reason in reasons.EnumerateArray())
                {
                    var message = reason.TryGetProperty("message", out var m) && m.TryGetProperty("en", out var en) ? en.GetString() : reason.ToString();
                    error.WriteLine($"error {reason.GetProperty("rule").GetString()}: {message}");
                }
            }

            if (problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in errors.EnumerateArray())
                {
                    error.WriteLine($"error {(item.TryGetProperty("field", out var f) ? f.GetString() : "request")}: {(item.TryGetProperty("message", out var m) ? m.GetString() : item.ToString())}");
                }
            }
        }

        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"error gateway: refused ({status}): {GatewayClient.Describe(body)}"));
        return CliApp.Failure;
    }

    private static string[] Split(string? list) => (list ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The options every extract command shares: where the gateway is and who calls it.</summary>
    private sealed class Connection
    {
        private readonly Option<string> _server = new("--server") { Description = "The gateway's base URL (e.g. http://127.0.0.1:5080).", Required = true };
        private readonly Option<string> _clientId = new("--client-id") { Description = "Your OAuth client id.", Required = true };
        private readonly Option<string> _clientSecret = new("--client-secret") { Description = "Your OAuth client secret (or DATACLAUSES_CLIENT_SECRET)." };

        public void AddTo(Command command)
        {
            command.Options.Add(_server);
            command.Options.Add(_clientId);
            command.Options.Add(_clientSecret);
        }

        /// <summary>Connects and runs <paramref name="action"/>; a bad option or an unreachable gateway is one error line and exit code 1.</summary>
        public async Task<int> RunAsync(ParseResult parse, TextWriter error, Func<GatewayClient, Task<int>> action)
        {
            var secret = parse.GetValue(_clientSecret) ?? Environment.GetEnvironmentVariable("DATACLAUSES_CLIENT_SECRET");
            if (string.IsNullOrEmpty(secret))
            {
                error.WriteLine("error option: give --client-secret or set DATACLAUSES_CLIENT_SECRET");
                return CliApp.Failure;
            }

            if (!Uri.TryCreate(parse.GetValue(_server), UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
            {
                error.WriteLine($"error option: --server must be an absolute http(s) URL, not '{parse.GetValue(_server)}'");
                return CliApp.Failure;
            }

            try
            {
                var baseUri = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");
                using var client = await GatewayClient.ConnectAsync(baseUri, parse.GetValue(_clientId)!, secret, Handler, CancellationToken.None);
                return await action(client);
            }
            catch (GatewayException ex)
            {
                error.WriteLine($"error gateway: {ex.Message}");
                return CliApp.Failure;
            }
        }
    }
}
