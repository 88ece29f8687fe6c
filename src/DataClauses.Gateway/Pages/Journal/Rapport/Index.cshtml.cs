using System.Globalization;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Pages.Catalogue;
using DataClauses.Gateway.Pages.Requetes;
using Microsoft.AspNetCore.Mvc;

namespace DataClauses.Gateway.Pages.Journal.Rapport;

/// <summary>
/// <c>/audit/rapport</c>: the ethics-label (Ekitia) report of the DPO's organisation over a period (the last twelve
/// months by default), the same report as <c>GET /api/v1/audit/report</c> (<see cref="AuditReportBuilder"/>), with its
/// charts drawn on the server (no script), printable, and its CSV export (<c>?handler=csv</c>). DPO role only.
/// </summary>
internal sealed class IndexModel(AuditReportBuilder builder, AuditExplorer explorer, AuditService audit, TimeProvider clock) : RoleGatedPage
{
    [BindProperty(SupportsGet = true, Name = "du")] public string? Du { get; set; }

    [BindProperty(SupportsGet = true, Name = "au")] public string? Au { get; set; }

    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    public AuditReport? Report { get; private set; }

    public DateOnly FromDay { get; private set; }

    public DateOnly ToDay { get; private set; }

    public IReadOnlyList<(QpvChart Chart, string Id, string Title)> Charts { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var result = await BuildAsync("html", cancellationToken);
        return result ?? Page();
    }

    public async Task<IActionResult> OnGetCsvAsync(CancellationToken cancellationToken)
    {
        var result = await BuildAsync("csv", cancellationToken);
        return result ?? File(AuditReportFormats.ToCsv(Report!), "text/csv; charset=utf-8", $"rapport-audit-{Report!.Organisation}-{FromDay:yyyy-MM-dd}-{ToDay:yyyy-MM-dd}.csv");
    }

    private async Task<IActionResult?> BuildAsync(string format, CancellationToken cancellationToken)
    {
        var caller = Admit("/audit/rapport", out var refusal, Roles.Dpo);
        if (caller is null)
        {
            return refusal!;
        }

        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var from = JournalPages.Day(Du, "du", Errors);
        var to = JournalPages.Day(Au, "au", Errors);
        FromDay = from is { } f ? DateOnly.FromDateTime(f.UtcDateTime) : today.AddMonths(-11).AddDays(1 - today.Day);
        ToDay = to is { } t ? DateOnly.FromDateTime(t.UtcDateTime) : today;
        if (ToDay < FromDay)
        {
            Errors["au"] = "La fin de la période doit suivre son début.";
        }

        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var start = new DateTimeOffset(FromDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var end = new DateTimeOffset(ToDay.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        Report = await builder.BuildAsync(caller.Organisation, start, end, cancellationToken);
        await audit.RecordAsync(audit.Create(AuditActions.Report, "success") with
        {
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["from"] = AuditCanonicalForm.FormatInstant(start),
                ["to"] = AuditCanonicalForm.FormatInstant(end),
                ["format"] = format,
                ["via"] = "portal",
                ["alerts"] = Report.Alerts.Count.ToString(CultureInfo.InvariantCulture),
            },
        }, cancellationToken);
        if (format == "html")
        {
            var months = await explorer.AccessesByMonthAsync(caller.Organisation, start, end, cancellationToken);
            Charts =
            [
                (new QpvChart("", "accès", [.. months.Select(m => new QpvBar(m.Month.ToString("MMMM yyyy", ClauseWords.French), m.Count))]), "graphique-acces-mois", "Accès aux données par mois"),
                (new QpvChart("", "décisions", [.. Report.Decisions.Select(d => new QpvBar(JournalPages.Effect(d.Effect), d.Count))]), "graphique-decisions", "Décisions par effet"),
                (new QpvChart("", "accès", [.. Report.Accesses.GroupBy(a => a.Purpose ?? "sans finalité").Select(g => new QpvBar(g.Key, g.Sum(a => a.Count)))]), "graphique-finalites", "Accès aux données par finalité"),
                (new QpvChart("", "extractions", [.. Report.Extracts.Counts.Select(c => new QpvBar(c.Key, c.Value))]), "graphique-extractions", "Extractions par étape (demandées, produites, téléchargées, purgées, suppression attestée…)"),
            ];
            Charts = [.. Charts.Where(c => c.Chart.Bars.Count > 0)];
        }

        return null;
    }
}
