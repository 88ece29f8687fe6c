using System.Globalization;
using DataClauses.Gateway.Pages.Catalogue;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Pages.Contrat;

/// <summary>A contract's clauses, amendments and commitments in plain French, for the contract page.</summary>
internal static class ContractWords
{
    public static string Day(DateOnly day) => day.ToString(day.Day == 1 ? "'1er' MMMM yyyy" : "d MMMM yyyy", ClauseWords.French);

    /// <summary>"La CAF de Loire-Atlantique partage « … » avec …".</summary>
    public static string Sharing(Contract contract, Clause clause)
    {
        var title = contract.FindDataset(clause.Dataset)?.Title ?? clause.Dataset;
        return $"{ClauseWords.Organisation(contract, clause.Provider)} partage « {title} » avec {ClauseWords.Recipients(contract, clause)}.";
    }

    public static string Purposes(Contract contract, Clause clause) =>
        string.Join(", ", clause.Purposes.Select(p => ClauseWords.Purpose(contract, p)));

    public static string Retention(Clause clause) => clause.Retention is { } r
        ? "au plus " + ClauseWords.Duration(r.Max) + (r.AtEnd == RetentionEnd.Delete ? ", puis suppression attestée" : ", puis anonymisation")
        : "aucune extraction prévue";

    public static string Publication(Clause clause) => clause.Publication is { } p
        ? $"une version par période de {ClauseWords.Duration(p.Frequency)}, au format {p.Format.ToUpperInvariant()}, niveau {ClauseWords.Tier(p.Tier)}, due {ClauseWords.Duration(p.Delay ?? PublicationSchedule.DefaultDelay)} après la fin de sa période de référence"
        : "aucun engagement de publication";

    /// <summary>What an amendment changes, clause by clause, in sentences (the clause before and after its effective date).</summary>
    public static IReadOnlyList<(string ClauseId, string Summary, IReadOnlyList<string> Details)> Changes(Contract contract, Amendment amendment)
    {
        var before = contract.ClausesAt(amendment.Effective.AddDays(-1));
        var lines = new List<(string, string, IReadOnlyList<string>)>();
        foreach (var change in amendment.Changes)
        {
            var old = before.FirstOrDefault(c => c.Id == change.ClauseId);
            switch (change.Kind)
            {
                case ClauseChangeKind.Add when change.Clause is { } added:
                    lines.Add((change.ClauseId, $"ajoute la clause « {added.Title ?? added.Id} »", [Sharing(contract, added), "Finalités : " + Purposes(contract, added)]));
                    break;
                case ClauseChangeKind.Remove:
                    lines.Add((change.ClauseId, $"retire la clause « {old?.Title ?? change.ClauseId} »", []));
                    break;
                case ClauseChangeKind.Modify when change.Clause is { } modified:
                    lines.Add((change.ClauseId, $"modifie la clause « {modified.Title ?? modified.Id} »", old is null ? [] : Differences(contract, old, modified)));
                    break;
            }
        }

        return lines;
    }

    public static string State(CommitmentStatus status) => status.State switch
    {
        CommitmentState.UpToDate => "à jour",
        CommitmentState.Late => "en retard de " + Days(status.DaysLate),
        _ => "jamais publié (en retard de " + Days(status.DaysLate) + ")",
    };

    public static string StateBadge(CommitmentState state) => state == CommitmentState.UpToDate ? "success" : "error";

    public static string Period(CommitmentPeriod period) => period.State switch
    {
        PeriodState.OnTime => $"publiée à temps : version {period.Version}, le {Instant(period.PublishedAt!.Value)}",
        PeriodState.PublishedLate => $"publiée en retard : version {period.Version}, le {Instant(period.PublishedAt!.Value)}",
        PeriodState.Missing => "manquante",
        _ => "pas encore due",
    };

    public static string Days(int days) => days.ToString(ClauseWords.French) + (days == 1 ? " jour" : " jours");

    public static string Instant(DateTimeOffset instant) => instant.UtcDateTime.ToString("d MMMM yyyy", ClauseWords.French);

    private static List<string> Differences(Contract contract, Clause old, Clause now)
    {
        var unit = contract.FindDataset(now.Dataset) is { } d ? ClauseWords.Unit(d) : "contributeurs";
        var lines = new List<string>();
        Compare("Destinataires", ClauseWords.Recipients(contract, old), ClauseWords.Recipients(contract, now));
        Compare("Finalités", Purposes(contract, old), Purposes(contract, now));
        Compare("Dimensions", string.Join(", ", old.Dimensions), string.Join(", ", now.Dimensions));
        Compare("Mesures", string.Join(", ", old.Measures), string.Join(", ", now.Measures));
        Compare("Échelle la plus fine", ClauseWords.Geography(old.FinestGeography), ClauseWords.Geography(now.FinestGeography));
        Compare("Secret statistique", ClauseWords.Thresholds(old, unit), ClauseWords.Thresholds(now, unit));
        Compare("Conservation des extractions", Retention(old), Retention(now));
        Compare("Extraction", ClauseWords.Approval(old.Approval), ClauseWords.Approval(now.Approval));
        Compare("Publication", Publication(old), Publication(now));
        Compare("Base légale", old.LegalBasis, now.LegalBasis);
        return lines;

        void Compare(string what, string before, string after)
        {
            if (!string.Equals(before, after, StringComparison.Ordinal))
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"{what} : {after} (auparavant : {before})"));
            }
        }
    }
}
