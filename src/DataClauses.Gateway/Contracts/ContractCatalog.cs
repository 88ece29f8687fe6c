using DataClauses.Gateway.Hosting;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Contracts;

/// <summary>
/// The contracts this node enforces, loaded once at start through the same code path as <c>dataclauses policy lint</c>.
/// A contract with any error stops the start-up with every error listed (fail closed).
/// </summary>
internal sealed class ContractCatalog
{
    public ContractCatalog(IOptions<GatewayOptions> options, IHostEnvironment environment)
    {
        PoliciesPath = Resolve(options.Value.PoliciesPath, environment.ContentRootPath);
        var result = ContractLoader.Load([PoliciesPath]);
        if (!result.IsValid)
        {
            throw new InvalidOperationException(
                $"The contracts under {PoliciesPath} have {result.Errors.Count} error(s):{Environment.NewLine}" + string.Join(Environment.NewLine, result.Errors));
        }

        if (result.Contracts.Count == 0)
        {
            throw new InvalidOperationException($"No contract file under {PoliciesPath}: the gateway would deny everything.");
        }

        Contracts = result.ToContractSet();
    }

    public string PoliciesPath { get; }

    public ContractSet Contracts { get; }

    /// <summary>The contract and declaration of a dataset (the first contract declaring it).</summary>
    public (Contract Contract, DatasetDeclaration Dataset)? FindDataset(string datasetId)
    {
        foreach (var found in Contracts.FindDataset(datasetId))
        {
            return found;
        }

        return null;
    }

    /// <summary>
    /// The contract <paramref name="contractId"/> when <paramref name="organisation"/> signed it; null otherwise, whether
    /// it exists or not (a contract's existence is disclosed to its signatories only).
    /// </summary>
    public Contract? ForSignatory(string contractId, string organisation) =>
        Contracts.Contracts.FirstOrDefault(c => string.Equals(c.Id, contractId, StringComparison.Ordinal) && c.FindSignatory(organisation) is not null);

    /// <summary>The contracts <paramref name="organisation"/> signed.</summary>
    public IReadOnlyList<Contract> SignedBy(string organisation) =>
        [.. Contracts.Contracts.Where(c => c.FindSignatory(organisation) is not null)];

    /// <summary>The signatory with this id in any contract.</summary>
    public Signatory? FindOrganisation(string organisationId) =>
        Contracts.Contracts.Select(c => c.FindSignatory(organisationId)).FirstOrDefault(s => s is not null);

    private static string Resolve(string path, string contentRoot)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        // dotnet run uses the project folder as content root; the contracts are copied next to the binary.
        var candidates = new[] { Path.Combine(contentRoot, path), Path.Combine(AppContext.BaseDirectory, path) };
        return candidates.FirstOrDefault(Directory.Exists) ?? candidates[0];
    }
}
