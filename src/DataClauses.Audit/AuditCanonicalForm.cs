using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DataClauses.Audit;

/// <summary>
/// The canonical JSON of an event: properties in ordinal order, no insignificant whitespace, absent values
/// omitted, instants in UTC with 7 fractional digits. Two writers of the same event produce the same bytes,
/// so the hash is reproducible by any verifier.
/// </summary>
public static class AuditCanonicalForm
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    /// <summary>The canonical JSON of an event at a position of the chain.</summary>
    public static string Write(long sequence, string previousHash, AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        using var stream = new MemoryStream(512);
        using (var writer = new Utf8JsonWriter(stream, Options))
        {
            // Keys below are written in ordinal order by hand; keep it so when adding one.
            writer.WriteStartObject();
            writer.WriteString("action", auditEvent.Action);
            WriteActor(writer, auditEvent.Actor);
            if (auditEvent.CellsSuppressed is { } cells)
            {
                writer.WriteNumber("cellsSuppressed", cells);
            }

            writer.WriteString("correlationId", auditEvent.CorrelationId);
            WriteOptional(writer, "dataOwner", auditEvent.DataOwner);
            WriteOptional(writer, "dataset", auditEvent.Dataset);
            WriteMap(writer, "details", auditEvent.Details);
            WriteOptional(writer, "effect", auditEvent.Effect);
            writer.WriteString("nodeId", auditEvent.NodeId);
            WriteMap(writer, "obligations", auditEvent.Obligations);
            writer.WriteString("outcome", auditEvent.Outcome);
            writer.WriteString("previousHash", previousHash);
            WriteOptional(writer, "purpose", auditEvent.Purpose);
            if (auditEvent.Reasons.Count > 0)
            {
                writer.WriteStartArray("reasons");
                foreach (var reason in auditEvent.Reasons)
                {
                    writer.WriteStartObject();
                    WriteOptional(writer, "clause", reason.Clause);
                    writer.WriteString("rule", reason.Rule);
                    WriteOptional(writer, "subject", reason.Subject);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteNumber("sequence", sequence);
            writer.WriteString("timestamp", FormatInstant(auditEvent.Timestamp));
            WriteOptional(writer, "version", auditEvent.Version);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Reads an event back from its canonical JSON (for verification and export).</summary>
    public static (long Sequence, string PreviousHash, AuditEvent Event) Read(string canonical)
    {
        using var document = JsonDocument.Parse(canonical);
        var root = document.RootElement;
        var actor = root.GetProperty("actor");
        var auditEvent = new AuditEvent
        {
            Action = root.GetProperty("action").GetString()!,
            Timestamp = DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            Actor = new AuditActor(
                actor.GetProperty("subject").GetString()!,
                Optional(actor, "organisation"),
                actor.TryGetProperty("roles", out var roles) ? roles.EnumerateArray().Select(r => r.GetString()!).ToList() : [],
                Optional(actor, "clientId"),
                Optional(actor, "ip")),
            Outcome = root.GetProperty("outcome").GetString()!,
            DataOwner = Optional(root, "dataOwner"),
            Dataset = Optional(root, "dataset"),
            Version = Optional(root, "version"),
            Purpose = Optional(root, "purpose"),
            Effect = Optional(root, "effect"),
            Reasons = root.TryGetProperty("reasons", out var reasons)
                ? reasons.EnumerateArray().Select(r => new AuditReason(r.GetProperty("rule").GetString()!, Optional(r, "clause"), Optional(r, "subject"))).ToList()
                : [],
            Obligations = Map(root, "obligations"),
            CellsSuppressed = root.TryGetProperty("cellsSuppressed", out var cells) ? cells.GetInt64() : null,
            CorrelationId = root.GetProperty("correlationId").GetString()!,
            NodeId = root.GetProperty("nodeId").GetString()!,
            Details = Map(root, "details"),
        };
        return (root.GetProperty("sequence").GetInt64(), root.GetProperty("previousHash").GetString()!, auditEvent);
    }

    /// <summary>An instant as the canonical form writes it.</summary>
    public static string FormatInstant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void WriteActor(Utf8JsonWriter writer, AuditActor actor)
    {
        writer.WriteStartObject("actor");
        WriteOptional(writer, "clientId", actor.ClientId);
        WriteOptional(writer, "ip", actor.Ip);
        WriteOptional(writer, "organisation", actor.Organisation);
        if (actor.Roles.Count > 0)
        {
            writer.WriteStartArray("roles");
            foreach (var role in actor.Roles.Order(StringComparer.Ordinal))
            {
                writer.WriteStringValue(role);
            }

            writer.WriteEndArray();
        }

        writer.WriteString("subject", actor.Subject);
        writer.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter writer, string name, IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0)
        {
            return;
        }

        writer.WriteStartObject(name);
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static string? Optional(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Dictionary<string, string> Map(JsonElement element, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (element.TryGetProperty(name, out var value))
        {
            foreach (var property in value.EnumerateObject())
            {
                map[property.Name] = property.Value.GetString()!;
            }
        }

        return map;
    }
}
