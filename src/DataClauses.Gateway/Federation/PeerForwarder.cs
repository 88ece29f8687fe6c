using System.Diagnostics;
using System.Globalization;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Model;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace DataClauses.Gateway.Federation;

/// <summary>
/// Sends a request about a dataset held by another node to that node with YARP's <see cref="IHttpForwarder"/>
/// (streamed both ways, nothing kept here): the caller's credentials stay here, a node assertion signed by this node
/// goes instead, with the same correlation id. The holding node decides, protects, audits and answers; this node
/// audits <c>federation.forwarded</c> under the same correlation id. A peer that is down or too slow is a 502 or 504
/// problem naming it.
/// </summary>
internal sealed partial class PeerForwarder(
    IHttpForwarder forwarder,
    IHttpMessageHandlerFactory handlers,
    PeerAssertions assertions,
    NodeDirectory nodes,
    ContractCatalog contracts,
    AuditService audit,
    IOptions<GatewayOptions> options,
    ILogger<PeerForwarder> logger)
{
    public const string HttpClientName = "federation-peers";
    public const string ForwardedAction = "federation.forwarded";

    /// <summary>Lets a forwarded request's body be sent again after the endpoint has read and validated it.</summary>
    public void PrepareBody(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (nodes.Enabled)
        {
            request.EnableBuffering();
        }
    }

    /// <summary>
    /// Forwards the request when <paramref name="datasetId"/> is held by another node and returns what to answer (the
    /// peer's response is already written unless the peer failed); null when this node holds the dataset.
    /// </summary>
    public async Task<IResult?> ForwardIfHeldElsewhereAsync(HttpContext http, string datasetId, string? purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (nodes.HolderOf(datasetId) is not { } holder || contracts.FindDataset(datasetId) is not ({ } contract, { } dataset))
        {
            return null;
        }

        if (Caller.From(http.User).Node is not null)
        {
            // A peer asks about a dataset this node does not hold either: no chains of forwarding.
            return nodes.NotHeldHere(datasetId, holder).ToResult(http);
        }

        return await ForwardAsync(http, holder, contract.Id, dataset, purpose, cancellationToken);
    }

    /// <summary>
    /// Forwards the request to <paramref name="holder"/> under <paramref name="contractId"/> (about <paramref name="dataset"/>
    /// when known) and returns what to answer: empty once the peer's response is written, a 502/504 problem otherwise.
    /// </summary>
    public async Task<IResult> ForwardAsync(HttpContext http, PeerNode holder, string contractId, DatasetDeclaration? dataset, string? purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(holder);
        var caller = Caller.From(http.User);
        var datasetId = dataset?.Id;
        var correlationId = CorrelationId.Of(http);
        var assertion = await assertions.CreateAsync(caller, holder.Id, contractId, purpose, correlationId, cancellationToken);
        if (http.Request.Body.CanSeek)
        {
            http.Request.Body.Position = 0;
        }

        var started = Stopwatch.GetTimestamp();
        using var invoker = new HttpMessageInvoker(handlers.CreateHandler(HttpClientName), disposeHandler: false);
        var transformer = new Transformer(assertion, correlationId);
        var error = await forwarder.SendAsync(
            http, holder.Url.ToString(), invoker, new ForwarderRequestConfig { ActivityTimeout = options.Value.Federation.PeerTimeout }, transformer);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var failed = error != ForwarderError.None;
        if (!failed)
        {
            // The peer's answer is copied already: end it now rather than after this node's audit write, which would only
            // add a commit to the caller's latency (the holding node audited the access before answering).
            await http.Response.CompleteAsync();
        }

        var status = failed && !http.Response.HasStarted
            ? error == ForwarderError.RequestTimedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway
            : http.Response.StatusCode;
        var auditEvent = audit.Create(ForwardedAction, failed || status >= 400 ? "failure" : "success") with
        {
            DataOwner = dataset?.Provider,
            Dataset = datasetId,
            Purpose = purpose,
        };
        await audit.RecordAsync(
            auditEvent.With(
                ("node", holder.Id),
                ("path", http.Request.Path.ToString()),
                ("status", status.ToString(CultureInfo.InvariantCulture)),
                ("error", failed ? error.ToString() : null),
                ("reason", transformer.Refusal),
                ("contractSha256", transformer.PeerContractHash is null ? null : nodes.ContractHash(contractId)),
                ("peerContractSha256", transformer.PeerContractHash),
                ("durationMs", Math.Round(elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture))),
            CancellationToken.None);
        if (!failed)
        {
            return Results.Empty;
        }

        LogPeerFailed(logger, holder.Id, holder.Url.ToString(), error.ToString());
        if (http.Response.HasStarted)
        {
            // The peer failed mid-answer: the connection is aborted so that the client sees a truncated answer as one.
            http.Abort();
            return Results.Empty;
        }

        return status == StatusCodes.Status504GatewayTimeout
            ? new ApiProblem(status, "peer-timeout", "Nœud injoignable / Peer node timed out",
                $"Node '{holder.Id}' ({holder.Url}), which holds {(datasetId is null ? "what was asked" : $"dataset '{datasetId}'")}, did not answer in {options.Value.Federation.PeerTimeout.TotalSeconds:0} s. Nothing was changed here; try again later.").ToResult(http)
            : new ApiProblem(status, "peer-unavailable", "Nœud indisponible / Peer node unavailable",
                $"Node '{holder.Id}' ({holder.Url}), which holds {(datasetId is null ? "what was asked" : $"dataset '{datasetId}'")}, cannot be reached ({error}). Nothing was changed here; try again later.").ToResult(http);
    }

    [LoggerMessage(EventId = 9102, Level = LogLevel.Warning, Message = "Forwarding to peer node {Peer} at {Url} failed: {Error}")]
    private static partial void LogPeerFailed(ILogger logger, string peer, string url, string error);

    /// <summary>The caller's credentials and cookies stay here; the node assertion and the correlation id go.</summary>
    private sealed class Transformer(string assertion, string correlationId) : HttpTransformer
    {
        private static readonly string[] Removed = ["Authorization", "Cookie", PeerAssertions.HeaderName, CorrelationId.HeaderName, "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"];

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            foreach (var header in Removed)
            {
                proxyRequest.Headers.Remove(header);
            }

            proxyRequest.Headers.TryAddWithoutValidation(PeerAssertions.HeaderName, assertion);
            proxyRequest.Headers.TryAddWithoutValidation(CorrelationId.HeaderName, correlationId);
            proxyRequest.Headers.Host = null;
        }

        /// <summary>Why the peer refused the request, when it did (its problem type).</summary>
        public string? Refusal { get; private set; }

        /// <summary>The peer's hash of the contract, when it differs from this node's (drift).</summary>
        public string? PeerContractHash { get; private set; }

        public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            if (proxyResponse is not null)
            {
                Refusal = Header(proxyResponse, PeerAuthentication.RefusalHeader);
                PeerContractHash = Header(proxyResponse, PeerAuthentication.ContractHashHeader);
            }

            return base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }

        private static string? Header(HttpResponseMessage response, string name) =>
            response.Headers.TryGetValues(name, out var values) ? SafeText.Printable(values.FirstOrDefault() ?? string.Empty) : null;
    }
}
