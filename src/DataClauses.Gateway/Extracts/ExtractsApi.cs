using System.Text.Json;
using DataClauses.Gateway.Federation;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;

namespace DataClauses.Gateway.Extracts;

/// <summary>
/// <c>/api/v1/extracts</c>: approved extracts with an enforced retention (docs/extracts.md). An analyst asks for
/// query-shaped tables with a purpose, a justification and a retention; the policy decides the path (permit with
/// automatic approval: produced at once; approval-required: the providers' stewards, two for four-eyes; deny: 403);
/// only the requester downloads, only until the deadline; every transition is audited with the change. Resources of
/// others answer 404, so that ids cannot be probed.
/// </summary>
internal static class ExtractsApi
{
    private const string Path = "/api/v1/extracts";

    public static IEndpointRouteBuilder MapExtractsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path)
            .WithTags("Extracts")
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.All))
            .RequireRateLimiting(RateLimits.Api);

        // Votes and downloads check the token against its client as it is now (disabled, rotated secret).

        group.MapPost("/", RequestAsync).WithName("RequestExtract")
            .WithSummary("Requests an extract of protected tables for a purpose, with a justification and a retention; the policy decides whether it is produced at once, waits for the providers' stewards, or is refused.")
            .Accepts<ExtractBody>("application/json")
            .Produces(StatusCodes.Status201Created, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/", ListAsync).WithName("ListExtracts")
            .WithSummary("The caller's own extracts (mine=true, the default), or every extract the caller may see as a steward or DPO (mine=false); optional status filter.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        group.MapGet("/queue", QueueAsync).WithName("ExtractQueue")
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.Steward))
            .WithSummary("For stewards: the requests waiting for approval on datasets their organisation provides.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        group.MapGet("/unattested", UnattestedAsync).WithName("UnattestedExtracts")
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.Dpo))
            .WithSummary("For DPOs: expired or purged extracts whose requester has not attested deleting their copy, on their organisation's datasets or requested by their organisation.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        group.MapGet("/{id}", GetAsync).WithName("GetExtract")
            .WithSummary("An extract: status and progress, decision, approvals, expiry, files. The requester, the providers' stewards and DPOs, and the requester organisation's DPO may read it.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/approve", (string id, HttpContext http, ExtractWorkflow workflow, CancellationToken ct) => VoteAsync(id, ExtractVotes.Approve, http, workflow, ct))
            .AddEndpointFilter<TokenRevocation>()
            .WithName("ApproveExtract")
            .WithSummary("A steward of the provider approves (optional comment); four-eyes clauses need two distinct stewards; never the requester.")
            .Accepts<VoteBody>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/reject", (string id, HttpContext http, ExtractWorkflow workflow, CancellationToken ct) => VoteAsync(id, ExtractVotes.Reject, http, workflow, ct))
            .AddEndpointFilter<TokenRevocation>()
            .WithName("RejectExtract")
            .WithSummary("A steward of the provider rejects, with a comment: the request ends.")
            .Accepts<VoteBody>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id}/file", DownloadAsync).AddEndpointFilter<TokenRevocation>()
            .WithName("DownloadExtract")
            .WithSummary("The requester (nobody else) downloads a file of a ready extract until its deadline: format=csv (table=n when there are several) or json.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv", additionalContentTypes: ["application/json"])
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone);
        group.MapPost("/{id}/attest-deletion", AttestAsync).WithName("AttestExtractDeletion")
            .WithSummary("The requester attests, once the extract has expired, that every downstream copy was deleted.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    /// <summary>
    /// 201 with the extract (status <c>approved</c> when the clauses approve automatically: production is queued;
    /// <c>pending-approval</c> otherwise); 400; 403 <c>forbidden</c> with every denying table's reasons; 404
    /// <c>not-found</c> / <c>version-not-found</c>; 415; 422 <c>cube-undefined</c>.
    /// </summary>
    private static async Task<IResult> RequestAsync(HttpContext http, ExtractWorkflow workflow, PeerExtracts extracts, PeerForwarder peers, CancellationToken cancellationToken)
    {
        peers.PrepareBody(http.Request);
        var (request, invalid) = await ApiHttp.ReadRequestAsync(http, "extract request", ExtractRequestReader.Read, validate: null, cancellationToken);
        if (request is null)
        {
            return invalid!;
        }

        // Federation: an extract is produced and kept where its rows are.
        var (holder, acrossNodes) = extracts.HolderOf(request.Tables.Select(t => t.Dataset));
        if (acrossNodes is not null || holder is not null)
        {
            return acrossNodes?.ToResult(http) ?? await peers.ForwardIfHeldElsewhereAsync(http, request.Tables[0].Dataset!, request.Purpose, cancellationToken) ?? Results.Empty;
        }

        var (extract, problem) = await workflow.RequestAsync(request, Caller.From(http.User), CorrelationId.Of(http), cancellationToken);
        if (extract is null)
        {
            return problem!.ToResult(http);
        }

        http.Response.Headers.Location = $"{Path}/{extract.Id}";
        return Results.Text(System.Text.Encoding.UTF8.GetString(ExtractView.One(extract, [], [])), "application/json", System.Text.Encoding.UTF8, StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, ExtractWorkflow workflow, PeerExtracts extracts, PeerForwarder peers, CancellationToken cancellationToken) =>
        await ElsewhereAsync(id, http, await workflow.GetAsync(id, Caller.From(http.User), cancellationToken), extracts, peers, cancellationToken);

    /// <summary>The outcome here, unless the extract was not found here and a peer holds it (federation): then its answer.</summary>
    private static async Task<IResult> ElsewhereAsync(
        string id, HttpContext http, (ExtractDetails? Details, ApiProblem? Problem) outcome, PeerExtracts extracts, PeerForwarder peers, CancellationToken cancellationToken) =>
        outcome.Problem?.Status == StatusCodes.Status404NotFound
            && await extracts.FindAsync(Caller.From(http.User), id, CorrelationId.Of(http), cancellationToken) is { } found
            ? await peers.ForwardAsync(http, found.Peer, found.ContractId, null, null, cancellationToken)
            : One(http, outcome);

    private static async Task<IResult> ListAsync(HttpContext http, ExtractWorkflow workflow, string? mine, string? status, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        if (mine is not (null or "true" or "false"))
        {
            errors.Add(new FieldError("mine", "mine must be true or false."));
        }

        if (status is not null && !ExtractStatus.All.Contains(status, StringComparer.Ordinal))
        {
            errors.Add(new FieldError("status", $"status must be one of: {string.Join(", ", ExtractStatus.All)}."));
        }

        if (errors.Count > 0)
        {
            return ApiHttp.Invalid(http, "query string", errors);
        }

        return Many(await workflow.ListAsync(Caller.From(http.User), mine is null or "true", status, cancellationToken));
    }

    private static async Task<IResult> QueueAsync(HttpContext http, ExtractWorkflow workflow, CancellationToken cancellationToken) =>
        Many(await workflow.QueueAsync(Caller.From(http.User), cancellationToken));

    private static async Task<IResult> UnattestedAsync(HttpContext http, ExtractWorkflow workflow, CancellationToken cancellationToken) =>
        Many(await workflow.UnattestedAsync(Caller.From(http.User), cancellationToken));

    /// <summary>
    /// 200 with the extract; 400 (reject without comment); 403 <c>self-approval</c> (the requester, even a steward) or
    /// <c>forbidden</c> (the approve decision denies: not a steward of the provider); 404 (not visible: a steward of
    /// another organisation); 409 <c>extract-not-pending</c>, <c>already-voted</c>.
    /// </summary>
    private static async Task<IResult> VoteAsync(string id, string vote, HttpContext http, ExtractWorkflow workflow, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var extract = await workflow.FindVisibleAsync(id, caller, cancellationToken);
        if (extract is null)
        {
            return ExtractWorkflow.NotFound(id).ToResult(http);
        }

        // The body is optional for an approval: a comment.
        JsonElement? body = null;
        if (http.Request.ContentLength > 0 || (http.Request.ContentLength is null && http.Request.ContentType is not null))
        {
            var (document, bodyProblem) = await ApiHttp.ReadJsonAsync(http.Request, cancellationToken);
            if (bodyProblem is not null)
            {
                return bodyProblem;
            }

            using (document)
            {
                body = document!.RootElement.Clone();
            }
        }

        var errors = new List<FieldError>();
        var comment = ExtractRequestReader.ReadComment(body, required: vote == ExtractVotes.Reject, errors);
        if (errors.Count > 0)
        {
            return ApiHttp.Invalid(http, vote == ExtractVotes.Reject ? "rejection" : "approval", errors);
        }

        return One(http, await workflow.VoteAsync(extract, caller, vote, comment, cancellationToken));
    }

    /// <summary>
    /// The file, to the requester only (anyone else: 404); 400 for a bad format or table; 409
    /// <c>extract-not-ready</c> (pending, approved, producing) or <c>extract-not-available</c> (rejected, denied,
    /// failed); 410 <c>extract-expired</c> (deadline passed) or <c>extract-purged</c>.
    /// </summary>
    private static async Task<IResult> DownloadAsync(
        string id, HttpContext http, ExtractWorkflow workflow, PeerExtracts extracts, PeerForwarder peers, string? format, string? table, CancellationToken cancellationToken)
    {
        var (download, problem) = await workflow.DownloadAsync(id, Caller.From(http.User), format, table, cancellationToken);
        if (download is null)
        {
            return await ElsewhereAsync(id, http, (null, problem), extracts, peers, cancellationToken);
        }

        var (extract, tables) = (download.Extract, download.Tables);
        var headers = http.Response.Headers;
        headers.ContentDisposition = $"attachment; filename=\"{ExtractFiles.FileName(extract, tables, download.Format, download.TableIndex)}\"";
        headers["DataClauses-Extract"] = extract.Id;
        headers["DataClauses-Retention-Deadline"] = ExtractFiles.Instant(extract.RetentionDeadline);
        headers["DataClauses-Content-Sha256"] = download.Sha256;
        headers.CacheControl = "no-store";
        if (download.TableIndex > 0)
        {
            var t = tables[download.TableIndex - 1];
            headers["DataClauses-Contract"] = t.Contract;
            headers["DataClauses-Clause"] = t.Clause;
            headers["DataClauses-Version"] = t.Version;
        }

        return Results.Bytes(download.Content, download.Format == ExtractFiles.Csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8");
    }

    /// <summary>
    /// The requester attests deleting every downstream copy (anyone else: 404): 200, once the extract has expired
    /// (again: 200, unchanged); 409 <c>extract-not-expired</c> before the deadline, <c>nothing-to-attest</c> when it
    /// was never produced.
    /// </summary>
    private static async Task<IResult> AttestAsync(string id, HttpContext http, ExtractWorkflow workflow, PeerExtracts extracts, PeerForwarder peers, CancellationToken cancellationToken) =>
        await ElsewhereAsync(id, http, await workflow.AttestAsync(id, Caller.From(http.User), cancellationToken), extracts, peers, cancellationToken);

    private static IResult One(HttpContext http, (ExtractDetails? Details, ApiProblem? Problem) outcome) => outcome.Details is { } d
        ? Results.Bytes(ExtractView.One(d.Extract, d.Votes, d.Files), "application/json; charset=utf-8")
        : outcome.Problem!.ToResult(http);

    private static IResult Many(ExtractList list) =>
        Results.Bytes(ExtractView.Many(list.Extracts, list.Votes, list.AwaitingCaller), "application/json; charset=utf-8");
}

/// <summary>The extracts feature: storage is in Storage/ (migration M0003), the rest here.</summary>
internal static class ExtractsServiceCollectionExtensions
{
    public static IServiceCollection AddExtracts(this IServiceCollection services)
    {
        services.AddOptions<ExtractOptions>().BindConfiguration(ExtractOptions.SectionName)
            .Validate(o => o.PollInterval >= TimeSpan.Zero && o.Producers is >= 0 and <= 64 && o.ProductionLease > TimeSpan.Zero,
                "DataClauses:Extracts: PollInterval must be zero or positive, Producers 0 to 64, ProductionLease positive.")
            .ValidateOnStart();
        services.AddSingleton<ExtractFiles>();
        services.AddSingleton<ExtractCommitter>();
        services.AddSingleton<ExtractJobs>();
        services.AddHostedService(sp => sp.GetRequiredService<ExtractJobs>());
        services.AddScoped<ExtractWorkflow>();
        return services;
    }

    public static IEndpointRouteBuilder MapExtracts(this IEndpointRouteBuilder app) => app.MapExtractsApi();
}
