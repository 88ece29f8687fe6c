using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataClauses.Gateway.Pages.Catalogue;

/// <summary>
/// The catalogue: the datasets the signed-in person's organisation may see (exactly those of <c>GET /api/v1/catalog</c>,
/// through <see cref="CatalogService"/>), searched and filtered by GET parameters so that a search is a link.
/// </summary>
[Authorize(AuthenticationSchemes = PeopleAuthentication.Scheme)]
internal sealed class IndexModel(CatalogService catalog) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Recherche { get; set; }

    [BindProperty(SupportsGet = true, Name = "fournisseur")]
    public string? Fournisseur { get; set; }

    [BindProperty(SupportsGet = true, Name = "theme")]
    public string? Theme { get; set; }

    [BindProperty(SupportsGet = true, Name = "geographie")]
    public string? Geographie { get; set; }

    [BindProperty(SupportsGet = true, Name = "niveau")]
    public string? Niveau { get; set; }

    /// <summary>Every dataset the person may see (the filters' choices come from them).</summary>
    public IReadOnlyList<CatalogEntry> All { get; private set; } = [];

    /// <summary>The datasets matching the search and the filters.</summary>
    public IReadOnlyList<CatalogEntry> Shown { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        All = await catalog.ReadAsync(Caller.From(User), cancellationToken);
        Shown = [.. All.Where(Matches)];
    }

    public static string ThemeOf(CatalogEntry entry) => ClauseWords.Theme(entry.Provider?.Kind);

    /// <summary>The geographies the dataset can be broken down by.</summary>
    public static IEnumerable<GeoLevel> GeographiesOf(CatalogEntry entry) =>
        entry.Dataset.Dimensions.Where(d => d.Geo is not null).Select(d => d.Geo!.Value).Distinct().Order();

    public static IEnumerable<Tier> TiersOf(CatalogEntry entry) =>
        entry.Clauses.Where(c => c.Publication is not null).Select(c => c.Publication!.Tier).Distinct().Order();

    private bool Matches(CatalogEntry entry)
    {
        var q = Recherche?.Trim();
        return (string.IsNullOrEmpty(q)
                || entry.Dataset.Title.Contains(q, StringComparison.OrdinalIgnoreCase)
                || entry.Dataset.Id.Contains(q, StringComparison.OrdinalIgnoreCase)
                || (entry.Provider?.Name ?? entry.Dataset.Provider).Contains(q, StringComparison.OrdinalIgnoreCase))
            && (string.IsNullOrEmpty(Fournisseur) || entry.Dataset.Provider == Fournisseur)
            && (string.IsNullOrEmpty(Theme) || ThemeOf(entry) == Theme)
            && (string.IsNullOrEmpty(Geographie) || GeographiesOf(entry).Any(g => g.ToWire() == Geographie))
            && (string.IsNullOrEmpty(Niveau) || TiersOf(entry).Any(t => t.ToWire() == Niveau));
    }
}
