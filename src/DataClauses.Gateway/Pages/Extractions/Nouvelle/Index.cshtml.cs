using System.Globalization;
using System.Text.Json;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Model;
using Microsoft.AspNetCore.Mvc;

namespace DataClauses.Gateway.Pages.Extractions.Nouvelle;

/// <summary>A clause the person may request an extract under, as the form shows it.</summary>
/// <param name="Dataset">The dataset.</param>
/// <param name="Clause">The clause.</param>
/// <param name="MaxMonths">The clause's maximum retention in months; null when it sets none.</param>
internal sealed record OfferedClause(DatasetDeclaration Dataset, Clause Clause, int? MaxMonths);

/// <summary>
/// <c>/extractions/nouvelle</c>: the extract request form. The fields become the API's body and are read by the API's
/// own reader (<see cref="ExtractRequestReader"/>), then the retention is checked against the clause's maximum; on
/// any error the form comes back with French messages next to the fields and nothing is created.
/// </summary>
internal sealed class IndexModel(ExtractWorkflow workflow, PolicyDecisions decisions, TimeProvider clock) : RoleGatedPage
{
    /// <summary>The clauses in force that name the person's organisation (or its kind) as a recipient.</summary>
    public IReadOnlyList<OfferedClause> Offered { get; private set; } = [];

    /// <summary>The contract's purposes.</summary>
    public IReadOnlyList<Purpose> Purposes { get; private set; } = [];

    /// <summary>Field errors in French, by field name.</summary>
    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>A refusal of the policy (or another problem), in French, with its reasons.</summary>
    public (string Message, IReadOnlyList<ReasonFr> Reasons)? Refusal { get; private set; }

    [BindProperty]
    public string? JeuDeDonnees { get; set; }

    [BindProperty]
    public string? Dimensions { get; set; }

    [BindProperty]
    public string? Mesures { get; set; }

    [BindProperty]
    public string? Finalite { get; set; }

    [BindProperty]
    public string? Justification { get; set; }

    [BindProperty]
    public string? DureeMois { get; set; }

    public IActionResult OnGet()
    {
        var caller = Admit("/extractions/nouvelle", out var refusal, Roles.All);
        if (caller is null)
        {
            return refusal!;
        }

        Load(caller);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var caller = Admit("/extractions/nouvelle", out var refusal, Roles.All);
        if (caller is null)
        {
            return refusal!;
        }

        Load(caller);

        // The API's body, read by the API's reader: the same request is accepted or refused the same way.
        var months = int.TryParse(DureeMois, NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : 0;
        var body = JsonSerializer.SerializeToElement(new Dictionary<string, object?>
        {
            ["tables"] = new[]
            {
                new Dictionary<string, object?>
                {
                    ["dataset"] = JeuDeDonnees ?? string.Empty,
                    ["dimensions"] = Split(Dimensions),
                    ["measures"] = Split(Mesures),
                },
            },
            ["purpose"] = Finalite ?? string.Empty,
            ["justification"] = Justification ?? string.Empty,
            ["retention"] = months > 0 ? $"P{months.ToString(CultureInfo.InvariantCulture)}M" : string.Empty,
        });
        var errors = new List<FieldError>();
        var request = ExtractRequestReader.Read(body, errors);
        foreach (var error in errors)
        {
            AddError(error.Field);
        }

        if (months <= 0)
        {
            Errors["DureeMois"] = "Indiquez une durée de conservation en mois (un nombre entier, au moins 1).";
        }
        else if (!Errors.ContainsKey("JeuDeDonnees") && Offered.Where(o => o.Dataset.Id == JeuDeDonnees && o.MaxMonths is not null).Select(o => (o.Clause.Id, o.MaxMonths!.Value)).OrderByDescending(o => o.Value).FirstOrDefault() is { Id: not null } longest && months > longest.Value)
        {
            // Said at once, with the other errors: no clause on the dataset allows that long.
            Errors["DureeMois"] = $"La clause {longest.Id} autorise une conservation de {longest.Value} mois au plus.";
        }
        else if (Errors.Count == 0 && MaxMonths(caller, request) is { } max && months > max.Months)
        {
            Errors["DureeMois"] = $"La clause {max.Clause} autorise une conservation de {max.Months} mois au plus.";
        }

        if (Errors.Count > 0)
        {
            return Page();
        }

        var (extract, problem) = await workflow.RequestAsync(request, caller, CorrelationId.Of(HttpContext), cancellationToken);
        if (extract is null)
        {
            Refusal = (ExtractPages.ProblemFr(problem!), ExtractPages.ReasonsOf(problem!));
            Response.StatusCode = problem!.Status;
            return Page();
        }

        return Redirect("/extractions/" + extract.Id + "?demande=envoyee");
    }

    private void Load(Caller caller)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var contracts = decisions.Contracts.Contracts.Contracts;
        var kind = contracts.Select(c => c.FindSignatory(caller.Organisation)).FirstOrDefault(s => s is not null)?.Kind;
        Offered = [.. contracts.Where(c => c.IsInForce(today)).SelectMany(c => c.ClausesAt(today)
            .Where(k => k.Recipients.Organisations.Contains(caller.Organisation, StringComparer.Ordinal) || (kind is { } k2 && k.Recipients.Kinds.Contains(k2)))
            .Where(k => k.Recipients.Roles.Any(caller.Has))
            .Select(k => new OfferedClause(c.FindDataset(k.Dataset)!, k, k.Retention is { } r ? Months(r.Max) : null)))
            .Where(o => o.Dataset is not null)];
        Purposes = [.. contracts.SelectMany(c => c.Purposes).DistinctBy(p => p.Id)];
    }

    /// <summary>The maximum retention of the clause that decides the request (the engine's own choice), if any.</summary>
    private (string Clause, int Months)? MaxMonths(Caller caller, ExtractRequest request)
    {
        var decision = decisions.Decide(request.Tables[0].ToDecisionRequest(caller.ToRequester(), PolicyAction.Extract));
        return decision.Obligations?.MaxRetention is { } max && decision.Clause is { } clause ? (clause.Id, Months(max)) : null;
    }

    private static int Months(IsoDuration duration) => (duration.Years * 12) + duration.Months + ((duration.Weeks * 7) + duration.Days >= 28 ? 1 : 0);

    private static string[] Split(string? text) =>
        (text ?? string.Empty).Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private void AddError(string field)
    {
        var (name, message) = field switch
        {
            "purpose" => ("Finalite", "Choisissez la finalité de l’extraction parmi celles du contrat."),
            "justification" => ("Justification", $"Expliquez pourquoi vous avez besoin de ce fichier ({ExtractRequestReader.MinJustification} à {ExtractRequestReader.MaxJustification} caractères)."),
            "retention" => ("DureeMois", "Indiquez une durée de conservation en mois (un nombre entier, au moins 1)."),
            _ when field.EndsWith(".dataset", StringComparison.Ordinal) || field is "tables" or "tables[0]" => ("JeuDeDonnees", "Choisissez un jeu de données."),
            _ when field.Contains(".dimensions", StringComparison.Ordinal) => ("Dimensions", "Indiquez au moins une dimension parmi celles de la clause, séparées par des virgules."),
            _ when field.Contains(".measures", StringComparison.Ordinal) => ("Mesures", "Indiquez au moins une mesure parmi celles de la clause, séparées par des virgules."),
            _ => ("JeuDeDonnees", "Ce tableau n’est pas valide."),
        };
        Errors.TryAdd(name, message);
    }
}
