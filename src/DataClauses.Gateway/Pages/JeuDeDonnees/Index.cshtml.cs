using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataClauses.Gateway.Pages.JeuDeDonnees;

/// <summary>
/// One dataset of the catalogue: its schema, the clauses that govern it in plain French, its versions. A dataset the
/// person's organisation may not see is "introuvable", as it is absent from the API's catalogue.
/// </summary>
[Authorize(AuthenticationSchemes = PeopleAuthentication.Scheme)]
internal sealed class IndexModel(CatalogService catalog) : PageModel
{
    public CatalogEntry Entry { get; private set; } = null!;

    /// <summary>The provider's declared schema, or null before its declaration.</summary>
    public DatasetSchema? Schema { get; private set; }

    public async Task<IActionResult> OnGetAsync(string dataset, CancellationToken cancellationToken)
    {
        var entries = await catalog.ReadAsync(Caller.From(User), cancellationToken);
        if (entries.FirstOrDefault(e => e.Dataset.Id == dataset) is not { } entry)
        {
            return NotFound();
        }

        Entry = entry;
        Schema = entry.Entity is null ? null : DatasetSchema.FromJson(entry.Entity.SchemaJson, entry.Contract, entry.Dataset, []);
        return Page();
    }
}
