using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using Microsoft.AspNetCore.Mvc;

namespace DataClauses.Gateway.Pages.Publication;

/// <summary>One dataset of the publisher's organisation: the contract's declaration, the dataset as published, its clauses and commitments.</summary>
internal sealed record OwnDataset(Contract Contract, DatasetDeclaration Declaration, DatasetView View, IReadOnlyList<Clause> Clauses, IReadOnlyList<CommitmentStatus> Commitments);

/// <summary>
/// <c>/publication</c>, "Nos jeux de données": the datasets the publisher's organisation provides under the contracts
/// it signed — schema declared or not, versions (reference period, rows, published when and by whom), the clauses in
/// force that govern each, and the publication calendar the contract promises (<see cref="Commitments"/>). Publisher
/// role only (403 page otherwise); the views are the API's (<see cref="DatasetPublisher.GetAsync"/>).
/// </summary>
internal sealed class IndexModel(ContractCatalog contracts, DatasetPublisher publisher, Commitments commitments, TimeProvider clock) : RoleGatedPage
{
    public IReadOnlyList<OwnDataset> Datasets { get; private set; } = [];

    /// <summary>The version just published ("dataset:version"), announced at the top.</summary>
    [BindProperty(SupportsGet = true, Name = "publie")]
    public string? Published { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var caller = Admit("/publication", out var refusal, Roles.Publisher);
        if (caller is null)
        {
            return refusal!;
        }

        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var own = new List<OwnDataset>();
        foreach (var contract in contracts.SignedBy(caller.Organisation))
        {
            var statuses = await commitments.EvaluateAsync(contract, cancellationToken);
            foreach (var declaration in contract.Datasets.Where(d => d.Provider == caller.Organisation))
            {
                var (view, _) = await publisher.GetAsync(caller, declaration.Id, cancellationToken);
                if (view is null)
                {
                    continue;
                }

                own.Add(new OwnDataset(
                    contract,
                    declaration,
                    view,
                    [.. contract.ClausesAt(today).Where(c => c.Dataset == declaration.Id)],
                    [.. statuses.Where(s => s.Clause.Dataset == declaration.Id)]));
            }
        }

        Datasets = own;
        return Page();
    }
}
