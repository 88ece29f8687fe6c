using System.Globalization;
using DataClauses.Audit;
using DataClauses.Gateway.Pages.Catalogue;

namespace DataClauses.Gateway.Pages.Journal;

/// <summary>The audit log's words in French, for the DPO's pages.</summary>
internal static class JournalPages
{
    public static string Instant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("d MMMM yyyy 'à' HH:mm:ss 'UTC'", ClauseWords.French);

    public static string Effect(string? effect) => effect switch
    {
        "permit" => "autorisé",
        "deny" => "refusé",
        null => "—",
        _ => effect,
    };

    public static string Outcome(string outcome) => outcome switch
    {
        "success" => "réussi",
        "failure" => "échec",
        "denied" => "refusé",
        _ => outcome,
    };

    /// <summary>A verification's result in a sentence.</summary>
    public static string Verification(AuditVerification v) => v.Intact
        ? string.Create(ClauseWords.French, $"Chaîne intègre : {v.EventsChecked:N0} événements et {v.CheckpointsChecked:N0} points de contrôle vérifiés.")
        : string.Create(CultureInfo.InvariantCulture, $"Chaîne rompue à l’événement n°{v.FirstBadSequence} : {v.Problem}. {v.Detail}");

    /// <summary>A date (yyyy-MM-dd) read from a form field: the start of that day in UTC, or an error.</summary>
    public static DateTimeOffset? Day(string? text, string field, Dictionary<string, string> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        errors[field] = "Saisissez une date au format AAAA-MM-JJ.";
        return null;
    }
}
