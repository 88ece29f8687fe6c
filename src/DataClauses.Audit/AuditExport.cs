using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace DataClauses.Audit;

/// <summary>The first line of an export: whose chain, from where, and the public keys that sign its checkpoints.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="FirstSequence">The first exported event.</param>
/// <param name="PreviousHash">The hash the first exported event follows (the genesis, or the anchor of a purged prefix).</param>
/// <param name="ExportedAt">When it was exported.</param>
/// <param name="Keys">Public keys as JWK JSON objects (EC P-256), by key id.</param>
public sealed record AuditExportHeader(string NodeId, long FirstSequence, string PreviousHash, DateTimeOffset ExportedAt, IReadOnlyDictionary<string, string> Keys);

/// <summary>
/// The offline form of an audit log: JSON Lines — a header, then events and checkpoints in order — so that a DPO or an
/// auditor can verify it with the node's public keys alone (<c>dataclauses audit verify --export FILE</c>).
/// </summary>
public static class AuditExport
{
    /// <summary>The format identifier in the header.</summary>
    public const string Format = "dataclauses-audit-export-v1";

    /// <summary>Writes an export.</summary>
    public static void Write(TextWriter writer, AuditExportHeader header, IEnumerable<StoredAuditRow> rows, IEnumerable<AuditCheckpoint> checkpoints)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(rows);
        writer.WriteLine(HeaderLine(header));
        var remaining = new Queue<AuditCheckpoint>((checkpoints ?? []).OrderBy(c => c.Sequence));
        foreach (var row in rows)
        {
            writer.WriteLine(EventLine(row));
            while (remaining.Count > 0 && remaining.Peek().Sequence <= row.Sequence)
            {
                writer.WriteLine(CheckpointLine(remaining.Dequeue()));
            }
        }

        while (remaining.Count > 0)
        {
            writer.WriteLine(CheckpointLine(remaining.Dequeue()));
        }
    }

    /// <summary>The header line (for writers that stream an export themselves).</summary>
    public static string HeaderLine(AuditExportHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var headerJson = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["nodeId"] = header.NodeId,
            ["firstSequence"] = header.FirstSequence,
            ["previousHash"] = header.PreviousHash,
            ["exportedAt"] = AuditCanonicalForm.FormatInstant(header.ExportedAt),
            ["keys"] = header.Keys.ToDictionary(k => k.Key, k => JsonDocument.Parse(k.Value).RootElement.Clone(), StringComparer.Ordinal),
        };
        return JsonSerializer.Serialize(headerJson);
    }

    /// <summary>The line of one event.</summary>
    public static string EventLine(StoredAuditRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return JsonSerializer.Serialize(new { type = "event", sequence = row.Sequence, previousHash = row.PreviousHash, hash = row.Hash, canonical = row.Canonical });
    }

    /// <summary>The line of one checkpoint.</summary>
    public static string CheckpointLine(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return JsonSerializer.Serialize(new
        {
            type = "checkpoint",
            nodeId = checkpoint.NodeId,
            sequence = checkpoint.Sequence,
            hash = checkpoint.Hash,
            timestamp = AuditCanonicalForm.FormatInstant(checkpoint.Timestamp),
            keyId = checkpoint.KeyId,
            signature = checkpoint.Signature,
            kind = checkpoint.Kind,
        });
    }

    /// <summary>Reads an export; throws <see cref="FormatException"/> naming the line at fault.</summary>
    public static (AuditExportHeader Header, IReadOnlyList<StoredAuditRow> Rows, IReadOnlyList<AuditCheckpoint> Checkpoints) Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rows = new List<StoredAuditRow>();
        var checkpoints = new List<AuditCheckpoint>();
        AuditExportHeader? header = null;
        var lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            string? problem = null;
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (header is null)
                {
                    if (!root.TryGetProperty("format", out var format) || format.GetString() != Format)
                    {
                        throw new FormatException($"line {lineNumber}: not a {Format} header");
                    }

                    header = new AuditExportHeader(
                        root.GetProperty("nodeId").GetString()!,
                        root.GetProperty("firstSequence").GetInt64(),
                        root.GetProperty("previousHash").GetString()!,
                        DateTimeOffset.Parse(root.GetProperty("exportedAt").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                        root.GetProperty("keys").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal));
                    continue;
                }

                switch (root.GetProperty("type").GetString())
                {
                    case "event":
                        rows.Add(new StoredAuditRow(root.GetProperty("sequence").GetInt64(), root.GetProperty("previousHash").GetString()!, root.GetProperty("hash").GetString()!, root.GetProperty("canonical").GetString()!));
                        break;
                    case "checkpoint":
                        checkpoints.Add(new AuditCheckpoint(
                            root.GetProperty("nodeId").GetString()!,
                            root.GetProperty("sequence").GetInt64(),
                            root.GetProperty("hash").GetString()!,
                            DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                            root.GetProperty("keyId").GetString()!,
                            root.GetProperty("signature").GetString()!,
                            root.TryGetProperty("kind", out var kind) ? kind.GetString()! : AuditCheckpoint.Periodic));
                        break;
                    default:
                        problem = "unknown record type";
                        break;
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException || (ex is FormatException && !ex.Message.StartsWith("line ", StringComparison.Ordinal)))
            {
                throw new FormatException($"line {lineNumber}: not a valid export record ({ex.Message})", ex);
            }

            if (problem is not null)
            {
                throw new FormatException($"line {lineNumber}: {problem}");
            }
        }

        return header is null ? throw new FormatException("the export is empty") : (header, rows, checkpoints);
    }

    /// <summary>
    /// Verifies an export with the public keys of its header, or with <paramref name="trustedKeys"/> when given: keys the
    /// auditor obtained independently (the node's JWKS, the contract's node list), so that an export whose header keys
    /// were replaced together with re-signed checkpoints is still caught.
    /// </summary>
    public static AuditVerification Verify(AuditExportHeader header, IReadOnlyList<StoredAuditRow> rows, IReadOnlyList<AuditCheckpoint> checkpoints, IReadOnlyDictionary<string, string>? trustedKeys = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(checkpoints);
        if (header.FirstSequence > 1 && !checkpoints.Any(c => c.Sequence == header.FirstSequence - 1 && c.Kind == AuditCheckpoint.Anchor))
        {
            // Events before the first one may only be gone through a retention purge, which leaves a signed anchor.
            return new AuditVerification(false, 0, header.FirstSequence - 1, AuditVerifier.MissingEvent,
                $"the export starts at event {header.FirstSequence} but has no signed anchor checkpoint at event {header.FirstSequence - 1}: earlier events were removed", header.PreviousHash);
        }

        var keys = (trustedKeys ?? header.Keys).ToDictionary(k => k.Key, k => PublicKeyFromJwk(k.Value), StringComparer.Ordinal);
        try
        {
            return AuditVerifier.Verify(rows, checkpoints, kid => keys.GetValueOrDefault(kid), header.FirstSequence, header.PreviousHash);
        }
        finally
        {
            foreach (var key in keys.Values)
            {
                key?.Dispose();
            }
        }
    }

    /// <summary>
    /// The keys of a JSON Web Key Set (<c>{"keys": [...]}</c>, as served at <c>/.well-known/jwks.json</c>) by key id, each
    /// as its JWK JSON text. Throws <see cref="FormatException"/> naming what is wrong.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ReadJwks(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("keys", out var keys)
                || keys.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("not a JSON Web Key Set: expected an object with a \"keys\" array");
            }

            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var key in keys.EnumerateArray())
            {
                if (key.ValueKind != JsonValueKind.Object || !key.TryGetProperty("kid", out var kid) || kid.ValueKind != JsonValueKind.String)
                {
                    throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"key {index} has no \"kid\""));
                }

                result[kid.GetString()!] = key.GetRawText();
                index++;
            }

            return result;
        }
        catch (JsonException ex)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"line {(ex.LineNumber ?? 0) + 1}, column {(ex.BytePositionInLine ?? 0) + 1}: not valid JSON"), ex);
        }
    }

    /// <summary>An EC P-256 public key from a JWK (x, y); null when the JWK is not one.</summary>
    public static ECDsa? PublicKeyFromJwk(string jwk)
    {
        try
        {
            using var document = JsonDocument.Parse(jwk);
            var root = document.RootElement;
            if (root.GetProperty("kty").GetString() != "EC" || root.GetProperty("crv").GetString() != "P-256")
            {
                return null;
            }

            return ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint
                {
                    X = AuditCheckpoint.FromBase64Url(root.GetProperty("x").GetString()!),
                    Y = AuditCheckpoint.FromBase64Url(root.GetProperty("y").GetString()!),
                },
            });
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or CryptographicException or InvalidOperationException)
        {
            return null;
        }
    }
}
