using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DataClauses.Gateway.Audit;

/// <summary>The report as JSON, CSV (one table, a section column) and a printable HTML page in French.</summary>
internal static class AuditReportFormats
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public static byte[] ToJson(AuditReport report) => JsonSerializer.SerializeToUtf8Bytes(report, Json);

    /// <summary>RFC 4180 CSV: <c>section,dataset,purpose,action,actor,item,count,detail</c>, one row per line of each section.</summary>
    public static byte[] ToCsv(AuditReport report)
    {
        var csv = new StringBuilder();
        Row("section", "dataset", "purpose", "action", "actor", "item", "count", "detail");
        Row("report", null, null, null, null, report.Organisation, report.EventsInScope.ToString(CultureInfo.InvariantCulture), $"{Instant(report.From)}/{Instant(report.To)}");
        foreach (var a in report.Accesses)
        {
            Row("accesses", a.Dataset, a.Purpose, a.Action, null, a.DataOwner, Count(a.Count), $"actors={a.Actors}");
        }

        foreach (var d in report.Decisions)
        {
            Row("decisions", null, null, null, null, d.Effect, Count(d.Count), null);
        }

        foreach (var r in report.DenialReasons)
        {
            Row("denial-reasons", null, null, null, null, r.Rule, Count(r.Count), r.Clause);
        }

        foreach (var (action, count) in report.Extracts.Counts)
        {
            Row("extracts", null, null, action, null, null, Count(count), null);
        }

        foreach (var x in report.Extracts.ExpiredUnattested)
        {
            Row("expired-unattested", x.Dataset, null, null, x.Requester, x.Extract, x.Downloads.ToString(CultureInfo.InvariantCulture), Instant(x.RetentionDeadline));
        }

        Row("cells-suppressed", null, null, null, null, "total", Count(report.CellsSuppressed.Total), null);
        foreach (var c in report.CellsSuppressed.ByDataset)
        {
            Row("cells-suppressed", c.Dataset, null, null, null, null, Count(c.Cells), $"answers={c.Answers}");
        }

        foreach (var p in report.Publications)
        {
            Row("publications", p.Dataset, null, null, null, p.Clause, p.PublishedInPeriod.ToString(CultureInfo.InvariantCulture),
                $"{p.Status}; frequency={p.Frequency}; last={(p.LastPublishedAt is { } l ? Instant(l) : "never")}; due={Instant(p.DueAt)}");
        }

        var chain = report.Chain;
        Row("chain", null, null, null, null, chain.Intact ? "intact" : chain.Problem, Count(chain.EventsChecked),
            chain.Intact ? $"head={chain.HeadSequence}; checkpoints={chain.CheckpointsChecked}" : $"first-bad={chain.FirstBadSequence}; {chain.Detail}");
        foreach (var a in report.Alerts)
        {
            Row("alerts", a.Dataset, null, null, a.Actor, a.Kind, Count(a.Count), a.Message);
        }

        return Encoding.UTF8.GetBytes(csv.ToString());

        void Row(params string?[] values) => csv.Append(string.Join(',', values.Select(Quote))).Append("\r\n");
    }

    /// <summary>A self-contained, printable page (embedded CSS, no external asset), in French.</summary>
    public static byte[] ToHtml(AuditReport report)
    {
        var html = new StringBuilder();
        var organisation = report.OrganisationName is null ? report.Organisation : $"{report.OrganisationName} ({report.Organisation})";
        html.Append("""
            <!DOCTYPE html>
            <html lang="fr">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            """);
        html.Append("<title>Rapport d'audit — ").Append(E(organisation)).Append("</title>\n");
        html.Append("""
            <style>
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; line-height: 1.4; }
            h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; border-bottom: 2px solid #000091; padding-bottom: .2rem; margin-top: 2rem; }
            .meta { color: #555; font-size: .9rem; }
            table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0; }
            th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
            th { background: #f0f0f8; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
            .ok { color: #18753c; font-weight: bold; } .ko { color: #ce0500; font-weight: bold; }
            .alert { border-left: 4px solid #ce0500; background: #fff4f3; padding: .4rem .6rem; margin: .3rem 0; }
            .empty { color: #666; font-style: italic; }
            @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } table, .alert { break-inside: avoid; } }
            </style>
            </head>
            <body>
            """);
        html.Append("<h1>Rapport d'audit pour le label éthique</h1>\n");
        html.Append("<p class=\"meta\">Organisation : <strong>").Append(E(organisation)).Append("</strong> — nœud ").Append(E(report.NodeId))
            .Append("<br>Période : du ").Append(E(Day(report.From))).Append(" au ").Append(E(Day(report.To)))
            .Append(" (UTC) — rapport produit le ").Append(E(Day(report.GeneratedAt))).Append(" — ")
            .Append(report.EventsInScope.ToString("N0", French)).Append(" événements concernant l'organisation</p>\n");

        var chain = report.Chain;
        html.Append("<h2>Intégrité du journal</h2>\n<p>");
        if (chain.Intact)
        {
            html.Append("<span class=\"ok\">Chaîne intègre</span> : ").Append(chain.EventsChecked.ToString("N0", French)).Append(" événements et ")
                .Append(chain.CheckpointsChecked.ToString("N0", French)).Append(" points de contrôle signés vérifiés, jusqu'à l'événement n° ")
                .Append(chain.HeadSequence.ToString(CultureInfo.InvariantCulture)).Append('.');
        }
        else
        {
            html.Append("<span class=\"ko\">Chaîne altérée</span> : premier événement en défaut n° ").Append(chain.FirstBadSequence?.ToString(CultureInfo.InvariantCulture))
                .Append(" (").Append(E(chain.Problem)).Append(") — ").Append(E(chain.Detail));
        }

        if (chain.LastCheckpointSequence is { } lastCheckpoint)
        {
            html.Append(" Dernier point de contrôle : événement n° ").Append(lastCheckpoint.ToString(CultureInfo.InvariantCulture)).Append(", signé le ").Append(E(Day(chain.LastCheckpointAt!.Value))).Append('.');
        }

        if (chain.AnchorSequence is { } anchor)
        {
            html.Append(" Les événements jusqu'au n° ").Append(anchor.ToString(CultureInfo.InvariantCulture)).Append(" ont été purgés à l'échéance de conservation (ancre signée).");
        }

        html.Append("</p>\n");

        html.Append("<h2>Alertes</h2>\n");
        if (report.Alerts.Count == 0)
        {
            html.Append("<p class=\"empty\">Aucune alerte sur la période.</p>\n");
        }

        foreach (var alert in report.Alerts)
        {
            html.Append("<div class=\"alert\"><strong>").Append(E(AlertTitle(alert.Kind))).Append("</strong> — ").Append(E(alert.Message)).Append("</div>\n");
        }

        Table("Accès aux données par jeu de données et finalité", ["Jeu de données", "Fournisseur", "Finalité", "Action", "Accès", "Acteurs distincts"],
            report.Accesses.Select(a => new[] { a.Dataset ?? "—", a.DataOwner ?? "—", a.Purpose ?? "—", a.Action, N(a.Count), N(a.Actors) }));
        Table("Décisions par effet", ["Effet", "Nombre"], report.Decisions.Select(d => new[] { EffectLabel(d.Effect), N(d.Count) }));
        Table("Principaux motifs de refus", ["Règle", "Clause", "Nombre"], report.DenialReasons.Select(r => new[] { r.Rule, r.Clause ?? "—", N(r.Count) }));
        Table("Extractions", ["Événement", "Nombre"], report.Extracts.Counts.Select(c => new[] { c.Key, N(c.Value) }));
        Table("Conservation : extractions échues sans attestation de suppression", ["Extraction", "Jeu de données", "Demandeur", "Organisation", "Échéance", "Téléchargements"],
            report.Extracts.ExpiredUnattested.Select(x => new[] { x.Extract, x.Dataset ?? "—", x.Requester ?? "—", x.RequesterOrganisation ?? "—", Day(x.RetentionDeadline), N(x.Downloads) }));
        Table("Secret statistique : cellules masquées", ["Jeu de données", "Réponses", "Cellules masquées"],
            [.. report.CellsSuppressed.ByDataset.Select(c => new[] { c.Dataset ?? "—", N(c.Answers), N(c.Cells) }), ["Total", string.Empty, N(report.CellsSuppressed.Total)]]);
        Table("Engagements de publication", ["Jeu de données", "Clause", "Fréquence", "Dernière publication", "Prochaine échéance", "État", "Publications sur la période"],
            report.Publications.Select(p => new[] { p.Dataset, p.Clause, p.Frequency, p.LastPublishedAt is { } l ? Day(l) : "jamais", Day(p.DueAt), StatusLabel(p.Status), N(p.PublishedInPeriod) }));
        html.Append("<p class=\"meta\">Ce rapport est établi à partir du seul journal d'audit chaîné (SHA-256) du nœud et de ses points de contrôle signés. ")
            .Append("Vérification hors ligne : <code>dataclauses audit verify --export FICHIER</code>.</p>\n</body>\n</html>\n");
        return Encoding.UTF8.GetBytes(html.ToString());

        void Table(string title, string[] headers, IEnumerable<string[]> rows)
        {
            html.Append("<h2>").Append(E(title)).Append("</h2>\n");
            var list = rows.ToList();
            if (list.Count == 0)
            {
                html.Append("<p class=\"empty\">Rien sur la période.</p>\n");
                return;
            }

            html.Append("<table>\n<thead><tr>");
            foreach (var header in headers)
            {
                html.Append("<th>").Append(E(header)).Append("</th>");
            }

            html.Append("</tr></thead>\n<tbody>\n");
            foreach (var row in list)
            {
                html.Append("<tr>");
                foreach (var cell in row)
                {
                    var numeric = cell.Length > 0 && cell.All(c => char.IsAsciiDigit(c) || c == '\u202F' || c == '\u00A0' || c == ' ');
                    html.Append(numeric ? "<td class=\"n\">" : "<td>").Append(E(cell)).Append("</td>");
                }

                html.Append("</tr>\n");
            }

            html.Append("</tbody>\n</table>\n");
        }
    }

    private static readonly CultureInfo French = CultureInfo.GetCultureInfo("fr-FR");

    private static string N(long value) => value.ToString("N0", French);

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    private static string Day(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Instant(DateTimeOffset instant) => DataClauses.Audit.AuditCanonicalForm.FormatInstant(instant);

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string EffectLabel(string effect) => effect switch
    {
        "permit" => "autorisé (permit)",
        "deny" => "refusé (deny)",
        "approval-required" => "soumis à approbation (approval-required)",
        _ => effect,
    };

    private static string StatusLabel(string status) => status switch
    {
        "met" => "respecté",
        "late" => "en retard",
        "not-yet-due" => "pas encore dû",
        _ => status,
    };

    private static string AlertTitle(string kind) => kind switch
    {
        "denial-burst" => "Rafale de refus",
        "many-slices" => "Nombreux découpages d'un même jeu de données",
        "after-hours-download" => "Téléchargement hors heures ouvrées",
        "publication-overdue" => "Engagement de publication en retard",
        "chain-broken" => "Journal d'audit altéré",
        _ => kind,
    };
}
