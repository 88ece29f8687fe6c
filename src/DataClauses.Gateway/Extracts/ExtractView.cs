using System.Text.Json;
using DataClauses.Gateway.Storage;

namespace DataClauses.Gateway.Extracts;

/// <summary>An extract as the API shows it (<c>GET /api/v1/extracts/{id}</c> and the lists): never a cell value.</summary>
internal static class ExtractView
{
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One extract, in full.</summary>
    public static byte[] One(ExtractEntity extract, IReadOnlyList<ExtractApprovalEntity> votes, IReadOnlyList<ExtractFileEntity> files)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Options))
        {
            Write(w, extract, votes, files, full: true);
        }

        return stream.ToArray();
    }

    /// <summary>A list: <c>{"extracts": [...], "count": n}</c>, each extract without its decision's reasons and files.</summary>
    public static byte[] Many(IReadOnlyList<ExtractEntity> extracts, ILookup<string, ExtractApprovalEntity> votes, Func<ExtractEntity, bool>? awaitingCaller = null)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Options))
        {
            w.WriteStartObject();
            w.WriteStartArray("extracts");
            foreach (var extract in extracts)
            {
                Write(w, extract, [.. votes[extract.Id]], [], full: false, awaitingCaller?.Invoke(extract));
            }

            w.WriteEndArray();
            w.WriteNumber("count", extracts.Count);
            w.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static void Write(Utf8JsonWriter w, ExtractEntity extract, IReadOnlyList<ExtractApprovalEntity> votes, IReadOnlyList<ExtractFileEntity> files, bool full, bool? awaitingCaller = null)
    {
        var tables = Extract.Tables(extract);
        w.WriteStartObject();
        w.WriteString("id", extract.Id);
        w.WriteString("status", extract.Status);
        w.WriteNumber("progress", extract.Progress);
        if (awaitingCaller is { } awaiting)
        {
            w.WriteBoolean("awaitingYou", awaiting);
        }

        w.WriteStartObject("requester");
        w.WriteString("subject", extract.RequesterSubject);
        Nullable(w, "clientId", extract.RequesterClientId);
        w.WriteString("organisation", extract.RequesterOrganisation);
        w.WriteEndObject();
        w.WriteString("purpose", extract.Purpose);
        w.WriteString("justification", extract.Justification);
        w.WriteString("requestedRetention", extract.RequestedRetention);
        w.WriteString("retentionDeadline", ExtractFiles.Instant(extract.RetentionDeadline));
        w.WriteString("retentionEnd", extract.RetentionEnd);
        w.WriteString("createdAt", ExtractFiles.Instant(extract.CreatedAt));
        w.WriteString("updatedAt", ExtractFiles.Instant(extract.UpdatedAt));
        Instant(w, "approvedAt", extract.ApprovedAt);
        Instant(w, "producedAt", extract.ProducedAt);
        Instant(w, "expiredAt", extract.ExpiredAt);
        Instant(w, "purgedAt", extract.PurgedAt);
        Nullable(w, "purgeReason", extract.PurgeReason);
        w.WriteBoolean("earlyPurge", extract.EarlyPurge);
        Instant(w, "attestedAt", extract.AttestedAt);
        Nullable(w, "attestedBy", extract.AttestedBy);
        Nullable(w, "failure", extract.Failure);

        w.WriteStartArray("tables");
        foreach (var table in tables)
        {
            w.WriteStartObject();
            w.WriteString("dataset", table.Dataset);
            w.WriteString("version", table.Version);
            w.WriteString("provider", table.Provider);
            w.WriteString("contract", table.Contract);
            w.WriteString("clause", table.Clause);
            w.WriteNumber("amendment", table.Amendment);
            Strings(w, "dimensions", table.Dimensions);
            Strings(w, "measures", table.Measures);
            w.WriteStartObject("filters");
            foreach (var filter in table.Filters)
            {
                Strings(w, filter.Dimension, filter.Values);
            }

            w.WriteEndObject();
            w.WriteString("effect", table.Effect);
            w.WriteNumber("approvalsRequired", table.ApprovalsRequired);
            w.WriteEndObject();
        }

        w.WriteEndArray();

        var required = Extract.ApprovalsRequired(tables);
        w.WriteStartObject("approvals");
        w.WriteStartObject("required");
        foreach (var (organisation, count) in required)
        {
            w.WriteNumber(organisation, count);
        }

        w.WriteEndObject();
        w.WriteStartArray("votes");
        foreach (var vote in votes.OrderBy(v => v.DecidedAt))
        {
            w.WriteStartObject();
            w.WriteString("steward", vote.StewardSubject);
            w.WriteString("organisation", vote.Organisation);
            w.WriteString("decision", vote.Decision);
            Nullable(w, "comment", vote.Comment);
            w.WriteString("at", ExtractFiles.Instant(vote.DecidedAt));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteBoolean("complete", Extract.IsFullyApproved(required, votes));
        w.WriteEndObject();

        if (full)
        {
            w.WritePropertyName("decision");
            w.WriteRawValue(extract.DecisionJson, skipInputValidation: true);
            w.WriteStartArray("files");
            foreach (var file in files.OrderBy(f => f.Format, StringComparer.Ordinal).ThenBy(f => f.TableIndex))
            {
                w.WriteStartObject();
                w.WriteString("format", file.Format);
                if (file.TableIndex > 0)
                {
                    w.WriteNumber("table", file.TableIndex);
                }

                w.WriteNumber("size", file.Size);
                w.WriteString("sha256", file.Sha256);
                w.WriteString("href", file.TableIndex > 0
                    ? $"/api/v1/extracts/{extract.Id}/file?format={file.Format}&table={file.TableIndex}"
                    : $"/api/v1/extracts/{extract.Id}/file?format={file.Format}");
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static void Instant(Utf8JsonWriter w, string name, DateTimeOffset? instant) => Nullable(w, name, instant is { } at ? ExtractFiles.Instant(at) : null);

    private static void Nullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
