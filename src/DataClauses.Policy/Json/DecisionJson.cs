using System.Globalization;
using System.Text.Json;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Json;

/// <summary>Writes decisions as JSON, the one shape the CLI, the gateway and the golden cases share.</summary>
public static class DecisionJson
{
    /// <summary>Writes <paramref name="decision"/> as a JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, Decision decision)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(decision);
        writer.WriteStartObject();
        writer.WriteString("effect", decision.Effect.ToWire());
        WriteNullable(writer, "contract", decision.Contract?.Id);
        WriteNullable(writer, "clause", decision.Clause?.Id);
        writer.WriteStartArray("determiningClauses");
        foreach (var id in decision.DeterminingClauses)
        {
            writer.WriteStringValue(id);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("reasons");
        foreach (var reason in decision.Reasons)
        {
            WriteReason(writer, reason);
        }

        writer.WriteEndArray();
        if (decision.Obligations is { } obligations)
        {
            writer.WritePropertyName("obligations");
            WriteObligations(writer, obligations, decision.RetentionDeadline);
        }
        else
        {
            writer.WriteNull("obligations");
        }

        writer.WriteEndObject();
    }

    /// <summary>The decision as an indented JSON string.</summary>
    public static string ToJson(Decision decision, bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(writer, decision);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes one reason: rule, contract, clause, subject and messages in French and English.</summary>
    public static void WriteReason(Utf8JsonWriter writer, Reason reason)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("rule", reason.Rule);
        WriteNullable(writer, "contract", reason.ContractId);
        WriteNullable(writer, "clause", reason.ClauseId);
        WriteNullable(writer, "subject", reason.Subject);
        writer.WriteStartObject("message");
        writer.WriteString("fr", reason.MessageFr);
        writer.WriteString("en", reason.MessageEn);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Writes obligations, with the retention deadline when one was set.</summary>
    public static void WriteObligations(Utf8JsonWriter writer, Obligations obligations, DateTimeOffset? retentionDeadline)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(obligations);
        writer.WriteStartObject();
        writer.WriteNumber("minCount", obligations.MinCount);
        if (obligations.Dominance is { } dominance)
        {
            writer.WriteStartObject("dominance");
            writer.WriteNumber("n", dominance.N);
            writer.WriteNumber("k", dominance.K);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("dominance");
        }

        if (obligations.PPercent is { } p)
        {
            writer.WriteNumber("pPercent", p);
        }
        else
        {
            writer.WriteNull("pPercent");
        }

        writer.WriteString("rounding", obligations.Rounding.ToWire());
        writer.WriteBoolean("secondarySuppression", obligations.SecondarySuppression);
        writer.WriteBoolean("protectZeros", obligations.ProtectZeros);
        writer.WriteBoolean("publicTotal", obligations.PublicTotal);
        WriteNullableNumber(writer, "protectionLevel", obligations.ProtectionLevel);
        WriteNullableNumber(writer, "protectionPercent", obligations.ProtectionPercent);
        WriteArray(writer, "allowedDimensions", obligations.AllowedDimensions);
        WriteArray(writer, "allowedMeasures", obligations.AllowedMeasures);
        writer.WriteString("finestGeography", obligations.FinestGeography.ToWire());
        WriteNullable(writer, "maxRetention", obligations.MaxRetention?.ToString());
        writer.WriteString("retentionEnd", obligations.RetentionEnd.ToWire());
        // Always the UTC instant: the 'Z' must never be written after a local time.
        WriteNullable(writer, "retentionDeadline", retentionDeadline?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        writer.WriteNumber("approvalsRequired", obligations.ApprovalsRequired);
        writer.WriteBoolean("audit", obligations.Audit);
        writer.WriteEndObject();
    }

    private static void WriteNullableNumber(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IReadOnlyList<string> items)
    {
        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
