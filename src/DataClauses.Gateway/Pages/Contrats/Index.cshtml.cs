using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataClauses.Gateway.Pages.Contrats;

/// <summary><c>/contrats</c>: the contracts the person's organisation signed (the only ones it may see).</summary>
[Authorize(AuthenticationSchemes = PeopleAuthentication.Scheme)]
internal sealed class IndexModel(ContractCatalog contracts) : PageModel
{
    public IReadOnlyList<Contract> Signed { get; private set; } = [];

    public void OnGet() => Signed = contracts.SignedBy(Caller.From(User).Organisation);
}
