using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Queries;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Json;
using Microsoft.AspNetCore.DataProtection;

namespace DataClauses.Gateway.Extracts;

/// <summary>One produced table: what was asked, and the answer sliced from the protected cube.</summary>
/// <param name="Table">The table as asked.</param>
/// <param name="Answer">The cells, the decision and the cube they come from.</param>
internal sealed record ProducedTable(ExtractTable Table, QueryAnswer Answer);

/// <summary>A file before encryption.</summary>
/// <param name="Format">csv or json.</param>
/// <param name="TableIndex">1-based table of a CSV file, 0 for the JSON file.</param>
/// <param name="Content">The plaintext bytes.</param>
internal sealed record PlainFile(string Format, int TableIndex, byte[] Content)
{
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Content));
}

/// <summary>
/// The extract's files and their encryption at rest. The tables are rendered by the queries' own code (a slice of the
/// protected cube: a suppressed cell has no value to write; <c>s</c> in CSV, <c>null</c> in JSON): one French CSV per
/// table (<c>;</c>, UTF-8 BOM, decimal comma) and one JSON file whose <c>metadata</c> header names the contract,
/// clauses, purpose, obligations, retention deadline, dataset versions and the SHA-256 of its <c>tables</c> member.
/// Files are protected with ASP.NET Core Data Protection (keys in the database), under a purpose bound to the extract
/// id, so that bytes moved to another extract's row do not decrypt.
/// </summary>
internal sealed class ExtractFiles(IDataProtectionProvider dataProtection)
{
    /// <summary>The Data Protection purpose of extract files.</summary>
    public const string ProtectorPurpose = "DataClauses.Extracts.v1";

    public const string Csv = "csv";
    public const string JsonFormat = "json";

    public byte[] Protect(string extractId, byte[] plaintext) => Protector(extractId).Protect(plaintext);

    /// <summary>The plaintext; throws <see cref="CryptographicException"/> when the bytes were tampered with or belong elsewhere.</summary>
    public byte[] Unprotect(string extractId, byte[] stored) => Protector(extractId).Unprotect(stored);

    private IDataProtector Protector(string extractId) => dataProtection.CreateProtector(ProtectorPurpose, extractId);

    /// <summary>Every file of an extract: one CSV per table, then the JSON file.</summary>
    public static IReadOnlyList<PlainFile> Render(ExtractEntity extract, IReadOnlyList<ProducedTable> tables, DateTimeOffset generatedAt)
    {
        ArgumentNullException.ThrowIfNull(extract);
        ArgumentNullException.ThrowIfNull(tables);
        var files = new List<PlainFile>(tables.Count + 1);
        for (var i = 0; i < tables.Count; i++)
        {
            files.Add(new PlainFile(Csv, i + 1, tables[i].Answer.ToCsv()));
        }

        files.Add(new PlainFile(JsonFormat, 0, RenderJson(extract, tables, generatedAt)));
        return files;
    }

    /// <summary>
    /// <c>{"metadata": {…, "contentSha256"}, "tables": [...]}</c>: each table is a query answer's JSON; the hash is the
    /// SHA-256 of the <c>tables</c> member's bytes exactly as written (<c>JsonElement.GetRawText()</c> gives them back).
    /// </summary>
    public static byte[] RenderJson(ExtractEntity extract, IReadOnlyList<ProducedTable> tables, DateTimeOffset generatedAt)
    {
        ArgumentNullException.ThrowIfNull(extract);
        ArgumentNullException.ThrowIfNull(tables);
        var options = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        byte[] tablesJson;
        using (var buffer = new MemoryStream())
        {
            using (var w = new Utf8JsonWriter(buffer, options))
            {
                w.WriteStartArray();
                foreach (var table in tables)
                {
                    w.WriteRawValue(table.Answer.ToJson(), skipInputValidation: true);
                }

                w.WriteEndArray();
            }

            tablesJson = buffer.ToArray();
        }

        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, options))
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteString("extract", extract.Id);
            var contracts = tables.Select(t => t.Answer.Decision.Contract!.Id).Distinct(StringComparer.Ordinal).ToList();
            var clauses = tables.Select(t => t.Answer.Decision.Clause!.Id).Distinct(StringComparer.Ordinal).ToList();
            WriteNullable(w, "contract", contracts.Count == 1 ? contracts[0] : null);
            WriteNullable(w, "clause", clauses.Count == 1 ? clauses[0] : null);
            w.WriteString("purpose", extract.Purpose);
            w.WriteString("justification", extract.Justification);
            w.WriteStartObject("requester");
            w.WriteString("subject", extract.RequesterSubject);
            w.WriteString("organisation", extract.RequesterOrganisation);
            w.WriteEndObject();
            w.WriteString("requestedRetention", extract.RequestedRetention);
            w.WriteString("retentionDeadline", Instant(extract.RetentionDeadline));
            w.WriteString("retentionEnd", extract.RetentionEnd);
            w.WriteString("generatedAt", Instant(generatedAt));
            w.WriteStartArray("datasets");
            foreach (var table in tables)
            {
                var answer = table.Answer;
                w.WriteStartObject();
                w.WriteString("dataset", table.Table.Dataset);
                w.WriteString("version", answer.Opened.Version.Version);
                w.WriteString("versionSha256", answer.Opened.Version.ContentSha256);
                w.WriteString("provider", table.Table.Provider);
                w.WriteString("contract", answer.Decision.Contract!.Id);
                w.WriteString("clause", answer.Decision.Clause!.Id);
                w.WriteNumber("amendment", answer.Decision.Clause.Amendment);
                w.WritePropertyName("obligations");
                DecisionJson.WriteObligations(w, answer.Decision.Obligations!, extract.RetentionDeadline);
                w.WriteString("cubeFingerprint", answer.Opened.Cube.Key.Fingerprint);
                w.WriteNumber("cellsReturned", answer.Slice.Rows.Count);
                w.WriteNumber("cellsSuppressed", answer.Slice.SuppressedCount);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("contentSha256", Convert.ToHexStringLower(SHA256.HashData(tablesJson)));
            w.WriteEndObject();
            w.WritePropertyName("tables");
            w.WriteRawValue(tablesJson, skipInputValidation: true);
            w.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>
    /// The file asked for: <c>format</c> csv (with <c>table</c> 1 to n, optional when there is one table) or json (every
    /// table, no <c>table</c>); the table index (0 for JSON) or the field errors.
    /// </summary>
    public static (int TableIndex, List<FieldError> Errors) Choose(string? format, string? table, int tables)
    {
        var errors = new List<FieldError>();
        if (format is not (Csv or JsonFormat))
        {
            errors.Add(new FieldError("format", "format must be csv or json."));
        }

        var tableIndex = 0;
        if (format == Csv)
        {
            if (table is null)
            {
                tableIndex = tables == 1 ? 1 : 0;
                if (tableIndex == 0)
                {
                    errors.Add(new FieldError("table", $"table is required: this extract has {tables.ToString(CultureInfo.InvariantCulture)} tables, one CSV file each (1 to {tables.ToString(CultureInfo.InvariantCulture)})."));
                }
            }
            else if (!int.TryParse(table, NumberStyles.None, CultureInfo.InvariantCulture, out tableIndex) || tableIndex < 1 || tableIndex > tables)
            {
                errors.Add(new FieldError("table", $"table must be a number from 1 to {tables.ToString(CultureInfo.InvariantCulture)}."));
            }
        }
        else if (table is not null && format == JsonFormat)
        {
            errors.Add(new FieldError("table", "the JSON file holds every table: omit table."));
        }

        return (tableIndex, errors);
    }

    /// <summary>The name a downloaded file is saved under.</summary>
    public static string FileName(ExtractEntity extract, IReadOnlyList<ExtractTable> tables, string format, int table) => format == Csv
        ? $"extrait-{extract.Id[..8]}_{tables[table - 1].Dataset}_{tables[table - 1].Version}.csv"
        : $"extrait-{extract.Id[..8]}.json";

    /// <summary>An instant as the extracts API writes it (UTC, milliseconds).</summary>
    public static string Instant(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
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
