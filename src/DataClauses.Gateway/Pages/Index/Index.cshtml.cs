using DataClauses.Gateway.Identity;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataClauses.Gateway.Pages.Index;

/// <summary>The home page: what DataClauses is, and what the signed-in person may do with their roles.</summary>
internal sealed class IndexModel : PageModel
{
    /// <summary>The signed-in person, or null when anonymous.</summary>
    public Caller? Person { get; private set; }

    /// <summary>What the person's roles let them do (empty when anonymous or without a known role).</summary>
    public IReadOnlyList<RoleCapability> Capabilities { get; private set; } = [];

    public void OnGet()
    {
        if (User.Identity?.IsAuthenticated != true)
        {
            return;
        }

        Person = Caller.From(User);
        Capabilities = RoleCapabilities.For(Person.Roles);
    }
}
