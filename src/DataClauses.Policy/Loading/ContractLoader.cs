using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Loading;

/// <summary>The outcome of loading contract files: the contract set when every file is valid, and every error otherwise.</summary>
/// <param name="Contracts">The contracts read without error.</param>
/// <param name="Errors">Every problem, in file then position order.</param>
public sealed record LoadResult(IReadOnlyList<Contract> Contracts, IReadOnlyList<PolicyError> Errors)
{
    /// <summary>True when no file has an error.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>The indexed contract set; throws when the files are not valid (fail closed).</summary>
    public ContractSet ToContractSet() => IsValid
        ? ContractSet.Create(Contracts)
        : throw new InvalidOperationException($"The contracts have {Errors.Count} error(s); the first is {Errors[0]}");
}

/// <summary>
/// Loads contract files. <c>dataclauses policy lint</c> and the gateway's start-up share this one code path.
/// </summary>
public static class ContractLoader
{
    /// <summary>Reads one contract from text.</summary>
    public static LoadResult LoadText(string file, string yaml)
    {
        using var reader = new StringReader(yaml);
        var (contract, errors) = ContractReader.Read(file, reader);
        return new LoadResult(contract is null ? [] : [contract], errors);
    }

    /// <summary>
    /// Loads contract files and directories (each directory's <c>*.yaml</c> and <c>*.yml</c>, not its sub-directories),
    /// reporting every error of every file, then checking that contract ids are unique.
    /// </summary>
    public static LoadResult Load(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        var errors = new List<PolicyError>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path)
                    .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                errors.Add(new PolicyError(path, 1, 1, PolicyErrorCodes.FileNotFound, $"no contract file or directory at '{path}'"));
            }
        }

        var contracts = new List<Contract>();
        foreach (var file in files)
        {
            using var reader = new StreamReader(file, detectEncodingFromByteOrderMarks: true);
            var (contract, fileErrors) = ContractReader.Read(file, reader);
            errors.AddRange(fileErrors);
            if (contract is null)
            {
                continue;
            }

            if (contracts.FirstOrDefault(c => c.Id == contract.Id) is { } existing)
            {
                errors.Add(new PolicyError(file, 1, 1, PolicyErrorCodes.DuplicateId, $"contract '{contract.Id}' is also defined in {existing.SourcePath}"));
                continue;
            }

            contracts.Add(contract);
        }

        return new LoadResult(contracts, errors);
    }
}
