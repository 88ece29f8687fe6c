using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DataClauses.Audit;

namespace DataClauses.Cli.Commands;

/// <summary>
/// <c>dataclauses audit verify</c>: a DPO checks that the audit log was not edited, either on the gateway
/// (<c>--server</c>: it recomputes the chain and its signed checkpoints) or offline from an export
/// (<c>--export FILE</c>: with the node's public keys in the file's header alone). Exit 0 when intact, 1 with the
/// first bad event otherwise.
/// </summary>
internal static class AuditCommands
{
    /// <summary>Lets tests talk to an in-process gateway; null uses the network.</summary>
    internal static HttpMessageHandler? Handler { get; set; }

    public static Command Create(TextWriter output, TextWriter error)
    {
        var audit = new Command("audit", "Verify the gateway's tamper-evident audit log.");
        audit.Subcommands.Add(Verify(output, error));
        return audit;
    }

    private static Command Verify(TextWriter output, TextWriter error)
    {
        var server = new Option<string?>("--server") { Description = "The gateway's base URL: it recomputes the chain and its checkpoints." };
        var clientId = new Option<string?>("--client-id") { Description = "Your OAuth client id (a dpo or admin client)." };
        var clientSecret = new Option<string?>("--client-secret") { Description = "Your OAuth client secret (or DATACLAUSES_CLIENT_SECRET)." };
        var from = new Option<long?>("--from") { Description = "First sequence number of a range to verify (with --server)." };
        var to = new Option<long?>("--to") { Description = "Last sequence number of a range to verify (with --server)." };
        var export = new Option<FileInfo?>("--export") { Description = "An export (GET /api/v1/audit/export) to verify offline with the public keys in its header." };
        var keys = new Option<FileInfo?>("--keys") { Description = "With --export: the node's JSON Web Key Set obtained independently (e.g. its /.well-known/jwks.json); the export's own keys are then ignored." };
        var command = new Command("verify", "Verify the audit chain and its signed checkpoints; print 'intact: N events, M checkpoints' or the first bad event.")
        {
            server, clientId, clientSecret, from, to, export, keys,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(export);
            var url = parse.GetValue(server);
            if ((file is null) == (url is null))
            {
                error.WriteLine("error option: give either --server URL (with --client-id and --client-secret) or --export FILE");
                return CliApp.Failure;
            }

            if (file is not null)
            {
                return VerifyExport(file, parse.GetValue(keys), output, error);
            }

            if (parse.GetValue(keys) is not null)
            {
                error.WriteLine("error option: --keys goes with --export");
                return CliApp.Failure;
            }

            var secret = parse.GetValue(clientSecret) ?? Environment.GetEnvironmentVariable("DATACLAUSES_CLIENT_SECRET");
            if (string.IsNullOrEmpty(parse.GetValue(clientId)) || string.IsNullOrEmpty(secret))
            {
                error.WriteLine("error option: --server needs --client-id and --client-secret (or DATACLAUSES_CLIENT_SECRET)");
                return CliApp.Failure;
            }

            if (!Uri.TryCreate(url, UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("http" or "https"))
            {
                error.WriteLine($"error option: --server must be an absolute http(s) URL, not '{url}'");
                return CliApp.Failure;
            }

            return await VerifyServerAsync(serverUri, parse.GetValue(clientId)!, secret, parse.GetValue(from), parse.GetValue(to), output, error, cancellationToken);
        });
        return command;
    }

    private static int VerifyExport(FileInfo file, FileInfo? keysFile, TextWriter output, TextWriter error)
    {
        IReadOnlyDictionary<string, string>? trustedKeys = null;
        if (keysFile is not null)
        {
            if (!keysFile.Exists)
            {
                error.WriteLine($"{keysFile.FullName}:1:1: error file-not-found: no such file");
                return CliApp.Failure;
            }

            try
            {
                trustedKeys = AuditExport.ReadJwks(File.ReadAllText(keysFile.FullName));
            }
            catch (FormatException ex)
            {
                error.WriteLine($"{keysFile.FullName}: error bad-keys: {ex.Message}");
                return CliApp.Failure;
            }
        }

        if (!file.Exists)
        {
            error.WriteLine($"{file.FullName}:1:1: error file-not-found: no such file");
            return CliApp.Failure;
        }

        AuditExportHeader header;
        IReadOnlyList<StoredAuditRow> rows;
        IReadOnlyList<AuditCheckpoint> checkpoints;
        try
        {
            using var reader = new StreamReader(file.FullName);
            (header, rows, checkpoints) = AuditExport.Read(reader);
        }
        catch (FormatException ex)
        {
            error.WriteLine($"{file.FullName}: error bad-export: {ex.Message}");
            return CliApp.Failure;
        }

        return Report(file.FullName, AuditExport.Verify(header, rows, checkpoints, trustedKeys), output, error);
    }

    private static async Task<int> VerifyServerAsync(Uri server, string clientId, string secret, long? from, long? to, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            var baseUri = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");
            using var client = await GatewayClient.ConnectAsync(baseUri, clientId, secret, Handler, cancellationToken);
            var query = new List<string>();
            if (from is { } f)
            {
                query.Add(string.Create(CultureInfo.InvariantCulture, $"from={f}"));
            }

            if (to is { } t)
            {
                query.Add(string.Create(CultureInfo.InvariantCulture, $"to={t}"));
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/audit/verify" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty));
            var (status, body) = await client.SendAsync(request, cancellationToken);
            if (status != 200 || body is not { ValueKind: JsonValueKind.Object } json)
            {
                error.WriteLine($"error gateway: refused ({status}): {GatewayClient.Describe(body)}");
                return CliApp.Failure;
            }

            var verification = new AuditVerification(
                json.GetProperty("intact").GetBoolean(),
                json.GetProperty("eventsChecked").GetInt64(),
                json.GetProperty("firstBadSequence").ValueKind == JsonValueKind.Number ? json.GetProperty("firstBadSequence").GetInt64() : null,
                json.GetProperty("problem").GetString(),
                json.GetProperty("detail").GetString(),
                json.GetProperty("head").GetProperty("hash").GetString() ?? string.Empty,
                json.GetProperty("checkpointsChecked").GetInt32(),
                json.GetProperty("head").GetProperty("sequence").GetInt64());
            return Report(server.AbsoluteUri, verification, output, error);
        }
        catch (GatewayException ex)
        {
            error.WriteLine($"error gateway: {ex.Message}");
            return CliApp.Failure;
        }
    }

    private static int Report(string source, AuditVerification verification, TextWriter output, TextWriter error)
    {
        if (verification.Intact)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"intact: {verification.EventsChecked} events, {verification.CheckpointsChecked} checkpoints (head {verification.HeadSequence} {verification.HeadHash})"));
            return CliApp.Success;
        }

        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{source}: event {verification.FirstBadSequence}: {verification.Problem}: {verification.Detail}"));
        return CliApp.Failure;
    }
}
