namespace DataClauses.Gateway.Hosting;

/// <summary>
/// Federation (section <c>DataClauses:Federation</c>): off by default, the node then holds every dataset (one node for
/// all signatories, the demo). On, a dataset is held by its provider's node as the contracts list them; requests about
/// datasets held elsewhere are forwarded there with a signed node assertion.
/// </summary>
public sealed class FederationOptions
{
    /// <summary>Whether this node takes part in a federation (reads the contracts' node lists).</summary>
    public bool Enabled { get; set; }

    /// <summary>Lifetime of the assertions this node signs (at most 60 s; a peer refuses longer ones).</summary>
    public TimeSpan AssertionLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a forwarded request may wait for the holding node before a 504.</summary>
    public TimeSpan PeerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the peers' catalogues are fetched (a peer that is down shows its last entries as stale).</summary>
    public TimeSpan CatalogRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a peer's fetched key set is used before it is fetched again (an unknown key id refetches sooner).</summary>
    public TimeSpan PeerKeysLifetime { get; set; } = TimeSpan.FromMinutes(10);
}
