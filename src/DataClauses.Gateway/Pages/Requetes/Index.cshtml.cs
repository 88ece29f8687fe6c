using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Queries;
using DataClauses.Policy.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataClauses.Gateway.Pages.Requetes;

/// <summary>
/// The query builder: a GET form (a query is a link, and reading changes nothing but the audit log) run through
/// <see cref="QueryService.AnswerAsync"/>, the same steps and audit events as <c>POST /api/v1/queries</c>; the CSV
/// handler answers the API's French CSV bytes.
/// </summary>
[Authorize(AuthenticationSchemes = PeopleAuthentication.Scheme)]
internal sealed class IndexModel(CatalogService catalog, QueryService queries) : PageModel
{
    /// <summary>The prefix of a filter's field: <c>filtre_qpv=QN04401M</c>.</summary>
    public const string FilterPrefix = "filtre_";

    private static readonly QueryRequestValidator Validator = new(dryRun: false);

    [BindProperty(SupportsGet = true, Name = "jeu")]
    public string? Jeu { get; set; }

    [BindProperty(SupportsGet = true, Name = "finalite")]
    public string? Finalite { get; set; }

    [BindProperty(SupportsGet = true, Name = "dimensions")]
    public List<string> Dimensions { get; set; } = [];

    [BindProperty(SupportsGet = true, Name = "mesures")]
    public List<string> Mesures { get; set; } = [];

    [BindProperty(SupportsGet = true, Name = "executer")]
    public string? Executer { get; set; }

    /// <summary>The datasets the person may see.</summary>
    public IReadOnlyList<CatalogEntry> Entries { get; private set; } = [];

    /// <summary>The dataset chosen, if any.</summary>
    public CatalogEntry? Entry { get; private set; }

    /// <summary>Filters on dimension values, from the <c>filtre_*</c> fields.</summary>
    public Dictionary<string, List<string>> Filters { get; } = new(StringComparer.Ordinal);

    /// <summary>Why the form cannot be run as filled.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>The answer or the refusal, once run.</summary>
    public QueryOutcome? Outcome { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await PrepareAsync(cancellationToken) is { } refused)
        {
            return refused;
        }

        if (Executer is not null && Entry is not null)
        {
            await RunAsync("html", cancellationToken);
        }

        return Page();
    }

    /// <summary>The answer as the API's French CSV (same bytes), or the page with the refusal.</summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken cancellationToken)
    {
        if (await PrepareAsync(cancellationToken) is { } refused)
        {
            return refused;
        }

        if (Entry is not null && await RunAsync("csv", cancellationToken) is { } answer)
        {
            return File(answer.ToCsv(), "text/csv; charset=utf-8", $"{answer.Request.Dataset}_{answer.Opened.Version.Version}.csv");
        }

        return Page();
    }

    /// <summary>The link of the CSV of the current form.</summary>
    public string CsvHref()
    {
        var query = Request.Query.Where(q => q.Key is not ("handler" or "executer"))
            .SelectMany(q => q.Value.Select(v => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(v ?? string.Empty)));
        return "/requetes?handler=csv&" + string.Join('&', query);
    }

    private async Task<IActionResult?> PrepareAsync(CancellationToken cancellationToken)
    {
        // As the API's query endpoint: a role of the node, within an organisation.
        var caller = Caller.From(User);
        if (string.IsNullOrEmpty(caller.Organisation) || !caller.Roles.Any(r => Roles.All.Contains(r, StringComparer.Ordinal)))
        {
            return Forbid(PeopleAuthentication.Scheme);
        }

        Entries = await catalog.ReadAsync(caller, cancellationToken);
        Entry = Entries.FirstOrDefault(e => e.Dataset.Id == Jeu);
        if (Entry is null)
        {
            if (Jeu is not null)
            {
                Errors.Add("Ce jeu de données n’existe pas ou votre organisation ne peut pas le consulter.");
            }

            return null;
        }

        foreach (var (key, values) in Request.Query)
        {
            if (key.StartsWith(FilterPrefix, StringComparison.Ordinal) && values.Any(v => !string.IsNullOrEmpty(v)))
            {
                Filters[key[FilterPrefix.Length..]] = [.. values.Where(v => !string.IsNullOrEmpty(v)).Select(v => v!)];
            }
        }

        if (Executer is null && Mesures.Count == 0)
        {
            // A first visit proposes the dataset's first measure and geography, so that "Exécuter" answers something.
            Mesures = [.. Entry.Dataset.Measures.Take(1).Select(m => m.Name)];
            Dimensions = [.. Entry.Dataset.Dimensions.Where(d => d.Geo == GeoLevel.Qpv).Take(1).Select(d => d.Name)];
            Finalite ??= Entry.Granted.SelectMany(c => c.Purposes).FirstOrDefault();
        }

        return null;
    }

    private async Task<QueryAnswer?> RunAsync(string format, CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            Dataset = Entry!.Dataset.Id,
            Purpose = string.IsNullOrEmpty(Finalite) ? null : Finalite,
            Dimensions = [.. Dimensions],
            Measures = [.. Mesures],
            Filters = [.. Filters.Select(f => new QueryFilter(f.Key, [.. f.Value]))],
        };
        var validation = Validator.Validate(request);
        if (!validation.IsValid)
        {
            Errors.AddRange(validation.Errors.Select(e => French(e.ErrorMessage)));
            return null;
        }

        Outcome = await queries.AnswerAsync(Caller.From(User), request, format, withReasons: false, CorrelationId.Of(HttpContext), cancellationToken);
        return Outcome.Answer;
    }

    private static string French(string message) => message switch
    {
        _ when message.StartsWith("purpose is required", StringComparison.Ordinal) => "Choisissez une finalité : chaque requête déclare à quoi elle sert.",
        _ when message.StartsWith("measures must list", StringComparison.Ordinal) => "Choisissez au moins une mesure.",
        _ => message,
    };
}
