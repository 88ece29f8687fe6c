using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Spectre.Console;

namespace DataClauses.Cli.Commands;

/// <summary>
/// <c>dataclauses publish</c>: a partner's IT team uploads a dataset version (optionally declaring its schema
/// first), with a progress bar; the gateway's errors come back as <c>file:line:col: message</c> lines.
/// </summary>
internal static class PublishCommand
{
    /// <summary>Lets tests talk to an in-process gateway; null uses the network.</summary>
    internal static HttpMessageHandler? Handler { get; set; }

    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = new Option<string>("--server") { Description = "The gateway's base URL (e.g. http://127.0.0.1:5080).", Required = true };
        var clientId = new Option<string>("--client-id") { Description = "Your OAuth client id.", Required = true };
        var clientSecret = new Option<string>("--client-secret") { Description = "Your OAuth client secret (or DATACLAUSES_CLIENT_SECRET)." };
        var dataset = new Option<string>("--dataset") { Description = "The dataset id in the contract.", Required = true };
        var version = new Option<string>("--version") { Description = "The version id (e.g. 2024-12-31).", Required = true };
        var file = new Option<FileInfo>("--file") { Description = "The CSV file to publish.", Required = true };
        var schema = new Option<FileInfo?>("--schema") { Description = "Declare (or update) the dataset's schema from this JSON file first." };
        var charset = new Option<string?>("--charset") { Description = "The file's encoding when it is not UTF-8 (windows-1252 for Excel CSV)." };
        var command = new Command("publish", "Publish a dataset version to a gateway.") { server, clientId, clientSecret, dataset, version, file, schema, charset };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var secret = parse.GetValue(clientSecret) ?? Environment.GetEnvironmentVariable("DATACLAUSES_CLIENT_SECRET");
            if (string.IsNullOrEmpty(secret))
            {
                error.WriteLine("error option: give --client-secret or set DATACLAUSES_CLIENT_SECRET");
                return CliApp.Failure;
            }

            if (!Uri.TryCreate(parse.GetValue(server), UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("http" or "https"))
            {
                error.WriteLine($"error option: --server must be an absolute http(s) URL, not '{parse.GetValue(server)}'");
                return CliApp.Failure;
            }

            var csv = parse.GetValue(file)!;
            if (!csv.Exists)
            {
                error.WriteLine($"{csv.FullName}:1:1: error file-not-found: no such file");
                return CliApp.Failure;
            }

            try
            {
                using var client = await GatewayClient.ConnectAsync(WithSlash(serverUri), parse.GetValue(clientId)!, secret, Handler, cancellationToken);
                var datasetId = Uri.EscapeDataString(parse.GetValue(dataset)!);
                if (parse.GetValue(schema) is { } schemaFile && !await DeclareAsync(client, datasetId, schemaFile, output, error, cancellationToken))
                {
                    return CliApp.Failure;
                }

                return await UploadAsync(client, datasetId, Uri.EscapeDataString(parse.GetValue(version)!), csv, parse.GetValue(charset), output, error, cancellationToken);
            }
            catch (GatewayException ex)
            {
                error.WriteLine($"error gateway: {ex.Message}");
                return CliApp.Failure;
            }
        });
        return command;
    }

    private static async Task<bool> DeclareAsync(GatewayClient client, string datasetId, FileInfo schemaFile, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!schemaFile.Exists)
        {
            error.WriteLine($"{schemaFile.FullName}:1:1: error file-not-found: no such file");
            return false;
        }

        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/datasets/{datasetId}")
        {
            Content = new StringContent(await File.ReadAllTextAsync(schemaFile.FullName, cancellationToken), System.Text.Encoding.UTF8, "application/json"),
        };
        var (status, body) = await client.SendAsync(request, cancellationToken);
        if (status is 200 or 201)
        {
            output.WriteLine(status == 201 ? "Schema declared." : "Schema up to date.");
            return true;
        }

        PrintProblem(schemaFile.FullName, status, body, error);
        return false;
    }

    private static async Task<int> UploadAsync(GatewayClient client, string datasetId, string version, FileInfo csv, string? charset, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(csv.FullName);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        (int Status, JsonElement? Body) result = default;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"Envoi de {csv.Name}", maxValue: Math.Max(1, csv.Length));
                using var content = new StreamContent(new ProgressStream(stream, read => task.Increment(read)), 81920);
                content.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = charset ?? "utf-8" };
                content.Headers.ContentLength = csv.Length;
                using var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/datasets/{datasetId}/versions/{version}") { Content = content };
                result = await client.SendAsync(request, cancellationToken);
                task.Value = task.MaxValue;
            });

        if (result.Status == 201 && result.Body is { } published)
        {
            var rows = published.TryGetProperty("rowCount", out var r) ? r.GetInt64() : 0;
            var hash = published.TryGetProperty("contentSha256", out var h) ? h.GetString() : null;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Published {Uri.UnescapeDataString(datasetId)} version {Uri.UnescapeDataString(version)}: {rows} rows, sha256 {hash}."));
            return CliApp.Success;
        }

        PrintProblem(csv.FullName, result.Status, result.Body, error);
        return CliApp.Failure;
    }

    /// <summary>Prints a problem: one <c>file:line:col: message</c> line per located error, else its title and detail.</summary>
    private static void PrintProblem(string file, int status, JsonElement? body, TextWriter error)
    {
        var printed = 0;
        if (body is { ValueKind: JsonValueKind.Object } problem && problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in errors.EnumerateArray())
            {
                var line = item.TryGetProperty("line", out var l) && l.ValueKind == JsonValueKind.Number ? l.GetInt32() : 1;
                var column = item.TryGetProperty("column", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 1;
                var code = item.TryGetProperty("code", out var k) ? k.GetString() : "error";
                var message = item.TryGetProperty("message", out var m) ? m.GetString() : item.ToString();
                var path = item.TryGetProperty("path", out var p) ? $" ({p.GetString()})" : string.Empty;
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}:{line}:{column}: error {code}: {message}{path}"));
                printed++;
            }

            if (problem.TryGetProperty("truncated", out var truncated) && truncated.ValueKind == JsonValueKind.True && problem.TryGetProperty("errorCount", out var count))
            {
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {count.GetInt64() - printed} more error(s) not listed."));
            }
        }

        if (body is { ValueKind: JsonValueKind.Object } withReasons && withReasons.TryGetProperty("reasons", out var reasons) && reasons.ValueKind == JsonValueKind.Array)
        {
            foreach (var reason in reasons.EnumerateArray())
            {
                var message = reason.TryGetProperty("message", out var m) && m.TryGetProperty("en", out var en) ? en.GetString() : reason.ToString();
                error.WriteLine($"error {reason.GetProperty("rule").GetString()}: {message}");
            }
        }

        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"error gateway: refused ({status}): {GatewayClient.Describe(body)}"));
    }

    private static Uri WithSlash(Uri server) => server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");

    /// <summary>Reports how many bytes were read, for the progress bar.</summary>
    private sealed class ProgressStream(Stream inner, Action<double> report) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            report(read);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            report(read);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
