using System.Security.Cryptography;
using System.Text.Json;
using DataClauses.Audit;
using DataClauses.Cli;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Audit;

/// <summary>
/// Events produced through the API, then tampered with directly in the database as an attacker with administrator
/// rights would (triggers disabled or dropped first): GET /api/v1/audit/verify names the exact first bad event and
/// what is wrong there, and so does <c>dataclauses audit verify</c>, online and on an exported file.
/// </summary>
public abstract class AuditTamperTests
{
    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Untouched_chain_with_checkpoints_is_intact_through_the_api_and_the_cli()
    {
        await using var chain = await TamperableChain.StartAsync(Provider);

        var verification = await AuditApi.VerifyAsync(chain.Dpo);
        var (exit, output, error) = AuditApi.RunCli("audit", "verify", "--server", chain.Host.BaseAddress.AbsoluteUri, "--client-id", "caf-44-dpo", "--client-secret", "demo-secret-caf-44-dpo");

        verification.GetProperty("intact").GetBoolean().ShouldBeTrue(verification.ToString());
        verification.GetProperty("eventsChecked").GetInt64().ShouldBe(chain.Rows.Count);
        verification.GetProperty("checkpointsChecked").GetInt32().ShouldBe(2);
        verification.GetProperty("head").GetProperty("sequence").GetInt64().ShouldBe(chain.Rows[^1].Row.Sequence);
        verification.GetProperty("firstBadSequence").ValueKind.ShouldBe(JsonValueKind.Null);
        exit.ShouldBe(CliApp.Success, error);
        var listed = (await GatewayHost.JsonOf(await chain.Dpo.GetAsync("api/v1/audit/checkpoints"))).GetProperty("checkpoints").EnumerateArray().ToList();
        listed.Select(c => c.GetProperty("sequence").GetInt64()).ShouldBe([chain.SecondCheckpoint, chain.FirstCheckpoint]);
        listed.ShouldAllBe(c => c.GetProperty("kind").GetString() == "on-demand" && c.GetProperty("signature").GetString()!.Length == 86);
        listed[0].GetProperty("hash").GetString().ShouldBe(chain.Rows[(int)chain.SecondCheckpoint - 1].Row.Hash);

        // The API call added audit.verified, the command line's own token added token.issued.
        output.ShouldStartWith($"intact: {chain.Rows.Count + 2} events, 2 checkpoints");
    }

    [Fact]
    public async Task Edited_field_is_a_hash_mismatch_at_its_sequence_online_and_in_the_cli()
    {
        await using var chain = await TamperableChain.StartAsync(Provider);
        var k = chain.Middle;

        await AuditApi.ExecuteAsync(chain.Host.Database, "UPDATE audit_events SET canonical = replace(canonical, correlation_id, 'forged-correlation-id') WHERE sequence = @k", ("k", k));

        (await AuditApi.VerifyAsync(chain.Dpo)).ShouldBeBrokenAt(k, AuditVerifier.HashMismatch);
        var (exit, _, error) = AuditApi.RunCli("audit", "verify", "--server", chain.Host.BaseAddress.AbsoluteUri, "--client-id", "caf-44-dpo", "--client-secret", "demo-secret-caf-44-dpo");
        exit.ShouldBe(CliApp.Failure);
        error.ShouldStartWith($"{chain.Host.BaseAddress.AbsoluteUri}: event {k}: hash-mismatch: ");

        // A range before the edit is intact; a range over it names it.
        (await AuditApi.VerifyAsync(chain.Dpo, $"?from=1&to={k - 1}")).GetProperty("intact").GetBoolean().ShouldBeTrue();
        (await AuditApi.VerifyAsync(chain.Dpo, $"?from={k - 1}&to={k + 3}")).ShouldBeBrokenAt(k, AuditVerifier.HashMismatch);

        // No checkpoint is signed over an edit made since the last one (the events since it are verified first).
        await AuditApi.ExecuteAsync(chain.Host.Database, "UPDATE audit_events SET canonical = replace(canonical, correlation_id, 'forged-correlation-id') WHERE sequence = @s", ("s", chain.SecondCheckpoint + 1));
        using var sign = await chain.Dpo.PostAsync("api/v1/audit/checkpoints", null);
        var refused = await sign.ShouldBeProblemAsync(System.Net.HttpStatusCode.Conflict, "audit-chain-broken");
        refused.GetProperty("firstBadSequence").GetInt64().ShouldBe(chain.SecondCheckpoint + 1);
    }

    [Fact]
    public async Task Deleted_row_is_a_missing_event_at_its_sequence()
    {
        await using var chain = await TamperableChain.StartAsync(Provider);
        var k = chain.Middle;

        await AuditApi.ExecuteAsync(chain.Host.Database, "DELETE FROM audit_events WHERE sequence = @k", ("k", k));

        (await AuditApi.VerifyAsync(chain.Dpo)).ShouldBeBrokenAt(k, AuditVerifier.MissingEvent);
    }

    [Fact]
    public async Task Inserted_well_formed_row_breaks_the_link_of_the_event_it_pushed_down()
    {
        await using var chain = await TamperableChain.StartAsync(Provider);
        var k = chain.Middle;
        var before = chain.Rows[(int)k - 2];
        var forged = AuditChain.Seal(k, before.Row.Hash, chain.Rows[(int)k - 1].Event with { CorrelationId = "forged", Action = "catalog.read" });

        // Make room at k (two steps: the primary key refuses a transient duplicate), then insert a correctly sealed event.
        await AuditApi.ExecuteAsync(chain.Host.Database, "UPDATE audit_events SET sequence = -sequence WHERE sequence >= @k", ("k", k));
        await AuditApi.ExecuteAsync(chain.Host.Database, "UPDATE audit_events SET sequence = 1 - sequence WHERE sequence < 0");
        await AuditApi.WriteRowAsync(chain.Host.Database, forged, insert: true);

        // The forged event itself links and hashes; the event it displaced no longer follows what precedes it.
        (await AuditApi.VerifyAsync(chain.Dpo)).ShouldBeBrokenAt(k + 1, AuditVerifier.BrokenLink);
    }

    [Fact]
    public async Task Two_rows_with_swapped_contents_break_the_link_at_the_first_of_them()
    {
        await using var chain = await TamperableChain.StartAsync(Provider);
        var a = chain.Rows[(int)chain.Middle - 1];
        var b = chain.Rows[(int)chain.Middle + 1];

        await AuditApi.WriteRowAsync(chain.Host.Database, new SealedAuditEvent(a.Row.Sequence, b.Event, b.Row.PreviousHash, b.Row.Hash, b.Row.Canonical), insert: false);
        await AuditApi.WriteRowAsync(chain.Host.Database, new SealedAuditEvent(b.Row.Sequence, a.Event, a.Row.PreviousHash, a.Row.Hash, a.Row.Canonical), insert: false);

        (await AuditApi.VerifyAsync(chain.Dpo)).ShouldBeBrokenAt(a.Row.Sequence, AuditVerifier.BrokenLink);
    }

    [Fact]
    public async Task Tail_truncated_after_a_checkpoint_is_a_checkpoint_mismatch_where_the_chain_now_ends()
    {
        await using var chain = await TamperableChain.StartAsync(Provider);
        var head = chain.SecondCheckpoint;

        await AuditApi.ExecuteAsync(chain.Host.Database, "DELETE FROM audit_events WHERE sequence >= @from", ("from", head - 2));

        var verification = await AuditApi.VerifyAsync(chain.Dpo);
        verification.ShouldBeBrokenAt(head - 2, AuditVerifier.CheckpointMismatch);
        verification.GetProperty("detail").GetString()!.ShouldContain($"states event {head}");
    }

    [Fact]
    public async Task Replaced_checkpoint_hash_or_signature_or_kind_is_a_bad_signature_at_the_checkpoint()
    {
        await using var chain = await TamperableChain.StartAsync(Provider);
        var database = chain.Host.Database;
        var first = chain.FirstCheckpoint;
        var second = chain.SecondCheckpoint;
        var otherHash = chain.Rows[(int)first - 2].Row.Hash;

        await AuditApi.ExecuteAsync(database, "UPDATE audit_checkpoints SET hash = @hash WHERE sequence = @s", ("hash", otherHash), ("s", first));
        (await AuditApi.VerifyAsync(chain.Dpo)).ShouldBeBrokenAt(first, AuditVerifier.BadSignature);

        await AuditApi.ExecuteAsync(database, "UPDATE audit_checkpoints SET hash = @hash WHERE sequence = @s", ("hash", chain.Rows[(int)first - 1].Row.Hash), ("s", first));
        (await AuditApi.VerifyAsync(chain.Dpo)).GetProperty("intact").GetBoolean().ShouldBeTrue();
        var signature = (string)(await database.ScalarAsync($"SELECT signature FROM audit_checkpoints WHERE sequence = {first}"))!;
        await AuditApi.ExecuteAsync(database, "UPDATE audit_checkpoints SET signature = @signature WHERE sequence = @s", ("signature", signature), ("s", second));
        (await AuditApi.VerifyAsync(chain.Dpo)).ShouldBeBrokenAt(second, AuditVerifier.BadSignature);

        // Promoting a checkpoint to a retention anchor (to pass deleted events off as purged) breaks its signature too.
        await AuditApi.ExecuteAsync(database, "UPDATE audit_checkpoints SET kind = 'anchor' WHERE sequence = @s", ("s", first));
        await AuditApi.ExecuteAsync(database, "DELETE FROM audit_events WHERE sequence <= @s", ("s", first));
        (await AuditApi.VerifyAsync(chain.Dpo)).ShouldBeBrokenAt(first, AuditVerifier.BadSignature);
    }

    [Fact]
    public async Task Chain_rewritten_with_recomputed_hashes_is_caught_by_the_first_checkpoint_after_the_edit()
    {
        await using var chain = await TamperableChain.StartAsync(Provider);
        var k = chain.Middle;
        var previous = chain.Rows[(int)k - 2].Row.Hash;
        foreach (var record in chain.Rows.Where(r => r.Row.Sequence >= k))
        {
            var e = record.Row.Sequence == k ? record.Event with { Purpose = "evaluation" } : record.Event;
            var resealed = AuditChain.Seal(record.Row.Sequence, previous, e);
            await AuditApi.WriteRowAsync(chain.Host.Database, resealed, insert: false);
            previous = resealed.Hash;
        }

        AuditVerifier.Verify((await chain.Host.ReadAuditAsync()).Select(r => r.Row)).Intact.ShouldBeTrue("the rewritten chain is consistent by itself");
        (await AuditApi.VerifyAsync(chain.Dpo)).ShouldBeBrokenAt(chain.FirstCheckpoint, AuditVerifier.CheckpointMismatch);
    }

    [Fact]
    public async Task Exported_log_verifies_offline_with_its_keys_and_names_the_first_bad_event_once_edited()
    {
        await using var chain = await TamperableChain.StartAsync(Provider);
        var folder = Directory.CreateTempSubdirectory("dataclauses-audit-export-").FullName;
        try
        {
            using var response = await chain.Dpo.GetAsync("api/v1/audit/export");
            response.EnsureSuccessStatusCode();
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/x-ndjson");
            var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var file = Path.Combine(folder, "audit.jsonl");
            await File.WriteAllLinesAsync(file, lines);
            var k = chain.Middle;

            var intact = AuditApi.RunCli("audit", "verify", "--export", file);

            intact.Exit.ShouldBe(CliApp.Success, intact.Error);
            intact.Output.ShouldStartWith($"intact: {lines.Count(l => l.Contains("\"type\":\"event\"", StringComparison.Ordinal))} events, 2 checkpoints");
            using (var header = JsonDocument.Parse(lines[0]))
            {
                header.RootElement.GetProperty("keys").EnumerateObject().ShouldNotBeEmpty();
            }

            var edited = lines.Select(line => EventSequence(line) == k ? Edit(line) : line).ToArray();
            var editedFile = Path.Combine(folder, "edited.jsonl");
            await File.WriteAllLinesAsync(editedFile, edited);
            var (exit, _, error) = AuditApi.RunCli("audit", "verify", "--export", editedFile);
            exit.ShouldBe(CliApp.Failure);
            error.ShouldStartWith($"{editedFile}: event {k}: hash-mismatch: ");

            var removedFile = Path.Combine(folder, "removed.jsonl");
            await File.WriteAllLinesAsync(removedFile, lines.Where(line => EventSequence(line) != k));
            var removed = AuditApi.RunCli("audit", "verify", "--export", removedFile);
            removed.Exit.ShouldBe(CliApp.Failure);
            removed.Error.ShouldStartWith($"{removedFile}: event {k}: missing-event: ");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        static long? EventSequence(string line)
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.TryGetProperty("type", out var type) && type.GetString() == "event" ? json.RootElement.GetProperty("sequence").GetInt64() : null;
        }

        static string Edit(string line)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var canonical = root.GetProperty("canonical").GetString()!;
            var correlation = AuditCanonicalForm.Read(canonical).Event.CorrelationId;
            return AuditExport.EventLine(new StoredAuditRow(root.GetProperty("sequence").GetInt64(), root.GetProperty("previousHash").GetString()!, root.GetProperty("hash").GetString()!,
                canonical.Replace(correlation, "forged-correlation-id", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task Export_whose_keys_were_replaced_and_checkpoints_re_signed_is_caught_with_the_nodes_published_keys()
    {
        await using var chain = await TamperableChain.StartAsync(Provider);
        var folder = Directory.CreateTempSubdirectory("dataclauses-audit-keys-").FullName;
        try
        {
            using var response = await chain.Dpo.GetAsync("api/v1/audit/export");
            response.EnsureSuccessStatusCode();
            var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var jwksFile = Path.Combine(folder, "jwks.json");
            await File.WriteAllTextAsync(jwksFile, await chain.Dpo.GetStringAsync(new Uri("/.well-known/jwks.json", UriKind.Relative)));
            var original = Path.Combine(folder, "audit.jsonl");
            await File.WriteAllLinesAsync(original, lines);

            // The forger signs every checkpoint again with a key of their own under the same key id and puts its public
            // half in the header: the export is consistent with itself, but not with the node's published keys.
            using var forgedKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var forged = lines.Select(line => Forge(line, forgedKey)).ToArray();
            var forgedFile = Path.Combine(folder, "forged.jsonl");
            await File.WriteAllLinesAsync(forgedFile, forged);

            var trusted = AuditApi.RunCli("audit", "verify", "--export", original, "--keys", jwksFile);
            var selfConsistent = AuditApi.RunCli("audit", "verify", "--export", forgedFile);
            var caught = AuditApi.RunCli("audit", "verify", "--export", forgedFile, "--keys", jwksFile);
            var badKeys = Path.Combine(folder, "bad-keys.json");
            await File.WriteAllTextAsync(badKeys, "{\"keys\": [\n  {\"kty\": \"EC\"}\n]}");
            var malformedKeys = AuditApi.RunCli("audit", "verify", "--export", original, "--keys", badKeys);

            trusted.Exit.ShouldBe(CliApp.Success, trusted.Error);
            selfConsistent.Exit.ShouldBe(CliApp.Success, "without --keys the export's own keys are all there is");
            caught.Exit.ShouldBe(CliApp.Failure);
            caught.Error.ShouldStartWith($"{forgedFile}: event {chain.FirstCheckpoint}: {AuditVerifier.BadSignature}: ");
            malformedKeys.Exit.ShouldBe(CliApp.Failure);
            malformedKeys.Error.Trim().ShouldBe($"{badKeys}: error bad-keys: key 0 has no \"kid\"");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        static string Forge(string line, ECDsa key)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.TryGetProperty("format", out _))
            {
                var parameters = key.ExportParameters(includePrivateParameters: false);
                var forgedKeys = root.GetProperty("keys").EnumerateObject().ToDictionary(
                    k => k.Name,
                    k => JsonSerializer.Serialize(new { kty = "EC", crv = "P-256", kid = k.Name, x = System.Buffers.Text.Base64Url.EncodeToString(parameters.Q.X!), y = System.Buffers.Text.Base64Url.EncodeToString(parameters.Q.Y!) }),
                    StringComparer.Ordinal);
                return AuditExport.HeaderLine(new AuditExportHeader(root.GetProperty("nodeId").GetString()!, root.GetProperty("firstSequence").GetInt64(),
                    root.GetProperty("previousHash").GetString()!, root.GetProperty("exportedAt").GetDateTimeOffset(), forgedKeys));
            }

            if (root.GetProperty("type").GetString() != "checkpoint")
            {
                return line;
            }

            return AuditExport.CheckpointLine(AuditCheckpoint.Sign(root.GetProperty("nodeId").GetString()!, root.GetProperty("sequence").GetInt64(), root.GetProperty("hash").GetString()!,
                root.GetProperty("timestamp").GetDateTimeOffset(), root.GetProperty("keyId").GetString()!, key, root.GetProperty("kind").GetString()!));
        }
    }

    /// <summary>
    /// A host with events produced through the API, a checkpoint in the middle and one at the end, a DPO client whose
    /// token was taken before any tampering, and the append-only protection already disabled by the "attacker".
    /// </summary>
    private sealed class TamperableChain : IAsyncDisposable
    {
        private TamperableChain(GatewayHost host, HttpClient dpo, IReadOnlyList<AuditRecord> rows, long firstCheckpoint, long secondCheckpoint)
        {
            Host = host;
            Dpo = dpo;
            Rows = rows;
            FirstCheckpoint = firstCheckpoint;
            SecondCheckpoint = secondCheckpoint;
        }

        public GatewayHost Host { get; }

        public HttpClient Dpo { get; }

        /// <summary>The stored rows after the second checkpoint, before any tampering.</summary>
        public IReadOnlyList<AuditRecord> Rows { get; }

        public long FirstCheckpoint { get; }

        public long SecondCheckpoint { get; }

        /// <summary>An event well before the first checkpoint.</summary>
        public long Middle => FirstCheckpoint / 2;

        public static async Task<TamperableChain> StartAsync(StorageProvider provider)
        {
            var host = await GatewayHost.StartAsync(provider);
            try
            {
                await AuditApi.ProduceEventsAsync(host);
                var dpo = await host.ClientForAsync("caf-44", "dpo");
                var first = await AuditApi.SignCheckpointAsync(dpo);
                await AuditApi.ProduceEventsAsync(host, tokens: 3);
                var second = await AuditApi.SignCheckpointAsync(dpo);
                var rows = await host.ReadAuditAsync();
                first.ShouldBeGreaterThan(8);
                second.ShouldBeGreaterThan(first + 5);
                rows[^1].Event.Action.ShouldBe("audit.checkpoint-signed");
                rows[^1].Row.Sequence.ShouldBe(second + 1);
                rows.Select(r => r.Row.Sequence).ShouldBe(Enumerable.Range(1, rows.Count).Select(i => (long)i));
                await AuditApi.DisableAppendOnlyAsync(host.Database);
                return new TamperableChain(host, dpo, rows, first, second);
            }
            catch
            {
                await host.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Dpo.Dispose();
            await Host.DisposeAsync();
        }
    }
}

public sealed class AuditTamperTests_on_Sqlite : AuditTamperTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class AuditTamperTests_on_PostgreSql : AuditTamperTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
