using DataClauses.Policy.Model;

namespace DataClauses.Policy.Engine;

/// <summary>Who asks: a user or client, its organisation and roles (from the access token).</summary>
/// <param name="Id">User or client id.</param>
/// <param name="Organisation">Organisation (signatory) id.</param>
/// <param name="Roles">Roles held in that organisation.</param>
public sealed record Requester(string Id, string Organisation, IReadOnlyList<string> Roles)
{
    /// <summary>True when the requester holds <paramref name="role"/>.</summary>
    public bool HasRole(string role)
    {
        for (var i = 0; i < Roles.Count; i++)
        {
            if (string.Equals(Roles[i], role, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A filter on the values of one dimension.</summary>
/// <param name="Dimension">Dimension name.</param>
/// <param name="Values">Accepted values.</param>
public sealed record Filter(string Dimension, IReadOnlyList<string> Values);

/// <summary>What the policy engine decides on.</summary>
public sealed record DecisionRequest
{
    /// <summary>Who asks.</summary>
    public required Requester Requester { get; init; }

    /// <summary>What they ask to do.</summary>
    public required PolicyAction Action { get; init; }

    /// <summary>The dataset concerned.</summary>
    public required string Dataset { get; init; }

    /// <summary>Dimensions to group by.</summary>
    public IReadOnlyList<string> Dimensions { get; init; } = [];

    /// <summary>Measures asked for.</summary>
    public IReadOnlyList<string> Measures { get; init; } = [];

    /// <summary>Filters on dimension values.</summary>
    public IReadOnlyList<Filter> Filters { get; init; } = [];

    /// <summary>The declared purpose (required for queries and extracts).</summary>
    public string? Purpose { get; init; }

    /// <summary>The retention asked for an extract.</summary>
    public IsoDuration? Retention { get; init; }

    /// <summary>The node the request comes through, when forwarded by another node.</summary>
    public string? Node { get; init; }

    /// <summary>Restricts the decision to one contract, when the dataset is governed by several.</summary>
    public string? Contract { get; init; }

    /// <summary>The QPV zoning the requester expects, when it states one.</summary>
    public Zoning? Zoning { get; init; }
}
