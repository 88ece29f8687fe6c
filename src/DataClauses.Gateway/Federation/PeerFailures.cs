namespace DataClauses.Gateway.Federation;

/// <summary>What a call to a peer node throws when the peer is down, too slow, or its circuit is open.</summary>
internal static class PeerFailures
{
    /// <summary>
    /// True for a connection failure, a timeout, or a rejection by the resilience pipeline (an open circuit, a pipeline
    /// timeout: Polly v8's <c>ExecutionRejectedException</c> family). That family is matched by its assembly, since
    /// OpenIddict's client brings Polly v7, whose types of the same names make the v8 ones ambiguous in C#.
    /// </summary>
    public static bool IsPeerFailure(Exception e) =>
        e is HttpRequestException or TaskCanceledException or TimeoutException
        || e.GetType().Assembly.GetName().Name == "Polly.Core";
}
