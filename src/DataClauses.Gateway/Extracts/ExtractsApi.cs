using System.Globalization;
using System.Text.Json;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Queries;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;

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
    private const int ListLimit = 200;

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
        group.MapPost("/{id}/approve", (string id, HttpContext http, ExtractDeps deps, CancellationToken ct) => VoteAsync(id, ExtractVotes.Approve, http, deps, ct))
            .AddEndpointFilter<TokenRevocation>()
            .WithName("ApproveExtract")
            .WithSummary("A steward of the provider approves (optional comment); four-eyes clauses need two distinct stewards; never the requester.")
            .Accepts<VoteBody>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/reject", (string id, HttpContext http, ExtractDeps deps, CancellationToken ct) => VoteAsync(id, ExtractVotes.Reject, http, deps, ct))
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
    private static async Task<IResult> RequestAsync(HttpContext http, ExtractDeps deps, IPublishedDatasets published, CancellationToken cancellationToken)
    {
        var (request, invalid) = await QueryHttp.ReadRequestAsync(http, "extract request", ExtractRequestReader.Read, validate: null, cancellationToken);
        if (request is null)
        {
            return invalid!;
        }

        var caller = Caller.From(http.User);
        var requester = caller.ToRequester();
        var retention = request.RetentionDuration;
        var decisionRequests = request.Tables.Select(t => t.ToDecisionRequest(requester, PolicyAction.Extract) with { Retention = retention }).ToList();
        var audit = deps.Audit;

        var datasets = new List<DatasetDeclaration>(decisionRequests.Count);
        foreach (var table in decisionRequests)
        {
            if (deps.Queries.FindDataset(table.Dataset) is not { } dataset)
            {
                var notFound = QueryProblem.DatasetNotFound(table.Dataset);
                await RecordRefusalAsync(audit, request, table.Dataset, null, notFound, cancellationToken);
                return notFound.ToResult(http);
            }

            datasets.Add(dataset);
        }

        // Decide first, from the contracts alone; a denial reads nothing.
        var decisions = decisionRequests.Select(deps.Queries.Decide).ToList();
        if (decisions.Any(d => d.Effect == Effect.Deny))
        {
            var denying = decisions.Where(d => d.Effect == Effect.Deny).SelectMany(d => d.Reasons).ToList();
            await audit.RecordAsync(audit.Create(ExtractAudit.Denied, "denied") with
            {
                DataOwner = datasets[0].Provider,
                Dataset = datasets[0].Id,
                Purpose = request.Purpose,
                Effect = Effect.Deny.ToWire(),
                Reasons = ExtractAudit.Reasons(decisions.Where(d => d.Effect == Effect.Deny)),
                Details = RequestDetails(request, decisionRequests),
            }, cancellationToken);
            var perTable = decisionRequests.Select((r, i) => new
            {
                dataset = r.Dataset,
                effect = decisions[i].Effect.ToWire(),
                reasons = QueryAnswer.ReasonsElement(decisions[i].Reasons),
            }).ToList();
            return QueryHttp.Denied(
                http,
                Effect.Deny,
                denying,
                "The policy denies this extract; the reasons name the clauses and rules.",
                new Dictionary<string, object?>(StringComparer.Ordinal) { ["tables"] = perTable });
        }

        // Pin each version and check that its cube can be defined, before anything is stored.
        var tables = new List<ExtractTable>(decisionRequests.Count);
        for (var i = 0; i < decisionRequests.Count; i++)
        {
            var table = decisionRequests[i];
            var decision = decisions[i];
            var version = await published.FindAsync(table.Dataset, request.Tables[i].Version, cancellationToken);
            QueryProblem? problem = version is null ? QueryProblem.VersionNotFound(table.Dataset, request.Tables[i].Version) : null;
            if (problem is null)
            {
                try
                {
                    _ = CubeDefinition.For(decision, datasets[i]);
                }
                catch (CubeDefinitionException e)
                {
                    problem = QueryProblem.CubeUndefined(e.Message);
                }
            }

            if (problem is not null)
            {
                await RecordRefusalAsync(audit, request, table.Dataset, datasets[i].Provider, problem, cancellationToken);
                return problem.ToResult(http);
            }

            tables.Add(new ExtractTable
            {
                Dataset = table.Dataset,
                Version = version!.Version,
                Provider = decision.Clause!.Provider,
                Contract = decision.Contract!.Id,
                Clause = decision.Clause.Id,
                Amendment = decision.Clause.Amendment,
                Dimensions = table.Dimensions,
                Measures = table.Measures,
                Filters = [.. table.Filters.Select(f => new ExtractFilter(f.Dimension, f.Values))],
                Effect = decision.Effect.ToWire(),
                ApprovalsRequired = decision.Effect == Effect.ApprovalRequired ? Math.Max(1, decision.Obligations!.ApprovalsRequired) : 0,
            });
        }

        var now = deps.Clock.GetUtcNow();
        var required = Extract.ApprovalsRequired(tables);
        var automatic = required.Count == 0;
        var extract = new ExtractEntity
        {
            Id = Extract.NewId(),
            RequesterSubject = caller.Subject,
            RequesterClientId = caller.ClientId,
            RequesterOrganisation = caller.Organisation,
            RequesterRoles = string.Join(' ', caller.Roles),
            Providers = Extract.ProvidersColumn(tables.Select(t => t.Provider)),
            Purpose = request.Purpose!,
            Justification = request.Justification!,
            RequestedRetention = request.Retention!,
            TablesJson = JsonSerializer.Serialize(tables, Extract.Json),
            DecisionJson = DecisionsJson(tables, decisions, required),
            Status = automatic ? ExtractStatus.Approved : ExtractStatus.PendingApproval,
            RetentionDeadline = decisions.Min(d => d.RetentionDeadline!.Value),
            RetentionEnd = decisions.Any(d => d.Obligations!.RetentionEnd == RetentionEnd.Anonymise) ? RetentionEnd.Anonymise.ToWire() : RetentionEnd.Delete.ToWire(),
            CreatedAt = now,
            UpdatedAt = now,
            ApprovedAt = automatic ? now : null,
            CorrelationId = CorrelationId.Of(http),
        };

        var requested = (ExtractAudit.ForRequest(audit, ExtractAudit.Requested, "success", extract, tables) with
        {
            Effect = (automatic ? Effect.Permit : Effect.ApprovalRequired).ToWire(),
            Reasons = ExtractAudit.Reasons(decisions),
            Obligations = QueryAudit.Obligations(decisions[0].Obligations),
        }).With(
            ("approval", automatic ? "automatic" : string.Join(',', required.Select(r => $"{r.Key}={r.Value.ToString(CultureInfo.InvariantCulture)}"))),
            ("requestedRetention", extract.RequestedRetention),
            ("justificationLength", extract.Justification.Length.ToString(CultureInfo.InvariantCulture)));

        // Stored with its event, by group commit with concurrent requests (one audit-chain lock per batch).
        await deps.Committer.CommitAsync(
            (db, _) =>
            {
                db.Extracts.Add(extract);
                return Task.FromResult<IReadOnlyList<AuditEvent>?>([requested]);
            },
            cancellationToken);

        if (automatic)
        {
            deps.Jobs.Enqueue(extract.Id);
        }

        http.Response.Headers.Location = $"{Path}/{extract.Id}";
        return Results.Text(System.Text.Encoding.UTF8.GetString(ExtractView.One(extract, [], [])), "application/json", System.Text.Encoding.UTF8, StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, ExtractDeps deps, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var extract = await FindVisibleAsync(deps.Db, id, caller, cancellationToken);
        if (extract is null)
        {
            return NotFound(http, id);
        }

        // Only what can exist is read: votes when a clause needs approval, files when ready (a status poll is one query).
        var votes = Extract.ApprovalsRequired(Extract.Tables(extract)).Count > 0
            ? await deps.Db.ExtractApprovals.AsNoTracking().Where(v => v.ExtractId == id).ToListAsync(cancellationToken)
            : [];
        var files = extract.Status == ExtractStatus.Ready
            ? await deps.Db.ExtractFiles.AsNoTracking().Where(f => f.ExtractId == id)
                .Select(f => new ExtractFileEntity { ExtractId = f.ExtractId, Format = f.Format, TableIndex = f.TableIndex, Sha256 = f.Sha256, Size = f.Size, Content = Array.Empty<byte>(), CreatedAt = f.CreatedAt })
                .ToListAsync(cancellationToken)
            : [];
        return Results.Bytes(ExtractView.One(extract, votes, files), "application/json; charset=utf-8");
    }

    private static async Task<IResult> ListAsync(HttpContext http, ExtractDeps deps, string? mine, string? status, CancellationToken cancellationToken)
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
            return QueryHttp.Invalid(http, "query string", errors);
        }

        var caller = Caller.From(http.User);
        var query = deps.Db.Extracts.AsNoTracking();
        if (mine is null or "true")
        {
            query = query.Where(e => e.RequesterSubject == caller.Subject);
        }
        else
        {
            // What the caller may read as steward or DPO of a provider, or DPO of the requester's organisation.
            var asProvider = caller.Has(Roles.Steward) || caller.Has(Roles.Dpo);
            var asDpo = caller.Has(Roles.Dpo);
            var bar = "|" + caller.Organisation + "|";
            query = query.Where(e => e.RequesterSubject == caller.Subject
                || (asProvider && e.Providers.Contains(bar))
                || (asDpo && e.RequesterOrganisation == caller.Organisation));
        }

        if (status is not null)
        {
            query = query.Where(e => e.Status == status);
        }

        return await ListOfAsync(deps.Db, query, null, cancellationToken);
    }

    private static async Task<IResult> QueueAsync(HttpContext http, ExtractDeps deps, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var bar = "|" + caller.Organisation + "|";
        var query = deps.Db.Extracts.AsNoTracking().Where(e => e.Status == ExtractStatus.PendingApproval && e.Providers.Contains(bar));
        return await ListOfAsync(deps.Db, query, (extract, votes) =>
            extract.RequesterSubject != caller.Subject
            && Extract.ApprovalsRequired(Extract.Tables(extract)).TryGetValue(caller.Organisation, out var needed)
            && votes.Count(v => v.Organisation == caller.Organisation && v.Decision == ExtractVotes.Approve) < needed
            && votes.All(v => v.StewardSubject != caller.Subject), cancellationToken);
    }

    private static async Task<IResult> UnattestedAsync(HttpContext http, ExtractDeps deps, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var bar = "|" + caller.Organisation + "|";
        var query = deps.Db.Extracts.AsNoTracking().Where(e => ExtractStatus.Ended.Contains(e.Status)
            && e.ProducedAt != null
            && e.AttestedAt == null
            && (e.Providers.Contains(bar) || e.RequesterOrganisation == caller.Organisation));
        return await ListOfAsync(deps.Db, query, null, cancellationToken);
    }

    private static async Task<IResult> ListOfAsync(GatewayDbContext db, IQueryable<ExtractEntity> query, Func<ExtractEntity, IReadOnlyList<ExtractApprovalEntity>, bool>? awaiting, CancellationToken cancellationToken)
    {
        // Newest first (ordered in memory: SQLite stores instants as ticks, PostgreSQL as timestamps; both sort, but
        // the limit is applied after an ordered query on the indexed id-free columns).
        var extracts = await query.OrderByDescending(e => e.CreatedAt).ThenBy(e => e.Id).Take(ListLimit).ToListAsync(cancellationToken);
        var ids = extracts.Select(e => e.Id).ToList();
        var votes = (await db.ExtractApprovals.AsNoTracking().Where(v => ids.Contains(v.ExtractId)).ToListAsync(cancellationToken)).ToLookup(v => v.ExtractId, StringComparer.Ordinal);
        Func<ExtractEntity, bool>? awaitingCaller = awaiting is null ? null : e => awaiting(e, [.. votes[e.Id]]);
        return Results.Bytes(ExtractView.Many(extracts, votes, awaitingCaller), "application/json; charset=utf-8");
    }

    /// <summary>
    /// 200 with the extract; 400 (reject without comment); 403 <c>self-approval</c> (the requester, even a steward) or
    /// <c>forbidden</c> (the approve decision denies: not a steward of the provider); 404 (not visible: a steward of
    /// another organisation); 409 <c>extract-not-pending</c>, <c>already-voted</c>.
    /// </summary>
    private static async Task<IResult> VoteAsync(string id, string vote, HttpContext http, ExtractDeps deps, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var db = deps.Db;
        var extract = await FindVisibleAsync(db, id, caller, cancellationToken);
        if (extract is null)
        {
            return NotFound(http, id);
        }

        JsonElement? body = null;
        if (http.Request.ContentLength > 0 || (http.Request.ContentLength is null && http.Request.ContentType is not null))
        {
            var (document, bodyProblem) = await QueryHttp.ReadJsonAsync(http.Request, cancellationToken);
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
            return QueryHttp.Invalid(http, vote == ExtractVotes.Reject ? "rejection" : "approval", errors);
        }

        var tables = Extract.Tables(extract);
        var audit = deps.Audit;

        // Four-eyes means two people: clients acting for one person count as one (Identity/ClientPersons).
        var callerPerson = await ClientPersons.OfAsync(db, caller.Subject, cancellationToken);
        if (extract.RequesterSubject == caller.Subject || callerPerson == await ClientPersons.OfAsync(db, extract.RequesterSubject, cancellationToken))
        {
            await audit.RecordAsync(ExtractAudit.ForRequest(audit, "extract.vote-refused", "denied", extract, tables).With(("vote", vote), ("problem", "self-approval")), cancellationToken);
            return QueryHttp.Problem(
                http,
                StatusCodes.Status403Forbidden,
                "self-approval",
                "Auto-approbation interdite / Self-approval refused",
                "The requester of an extract can never approve or reject it, even as a steward of the provider.");
        }

        // The approve decision of every table the caller's organisation provides (provider-only, steward role).
        var own = tables.Where(t => t.Provider == caller.Organisation && t.ApprovalsRequired > 0).ToList();
        var requester = caller.ToRequester();
        var approveDecisions = (own.Count > 0 ? own : [tables[0]])
            .Select(t => deps.Queries.Decide(new DecisionRequest { Requester = requester, Action = PolicyAction.Approve, Dataset = t.Dataset, Purpose = extract.Purpose }))
            .ToList();
        if (own.Count == 0 || approveDecisions.Any(d => d.Effect == Effect.Deny))
        {
            await audit.RecordAsync(
                (ExtractAudit.ForRequest(audit, "extract.vote-refused", "denied", extract, tables) with
                {
                    Effect = Effect.Deny.ToWire(),
                    Reasons = ExtractAudit.Reasons(approveDecisions),
                }).With(("vote", vote), ("problem", "forbidden")),
                cancellationToken);
            return QueryHttp.Denied(
                http,
                Effect.Deny,
                approveDecisions.SelectMany(d => d.Reasons.Where(r => d.Effect == Effect.Deny)),
                own.Count == 0
                    ? "Only a steward of a provider whose clause requires approval may approve or reject this extract."
                    : "Only a steward of the provider may approve or reject this extract.");
        }

        var now = deps.Clock.GetUtcNow();
        var becameApproved = false;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // Locks the extract's row (PostgreSQL; SQLite has one writer): votes on one extract are counted one at a time.
        var pending = await db.Extracts.Where(e => e.Id == id && e.Status == ExtractStatus.PendingApproval)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.UpdatedAt, now), cancellationToken);
        if (pending == 0)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            var current = await db.Extracts.AsNoTracking().Where(e => e.Id == id).Select(e => e.Status).SingleAsync(cancellationToken);
            return QueryHttp.Problem(
                http,
                StatusCodes.Status409Conflict,
                "extract-not-pending",
                "Demande déjà traitée / Not pending",
                $"The extract is '{current}': only a request pending approval can be approved or rejected.",
                new Dictionary<string, object?>(StringComparer.Ordinal) { ["extractStatus"] = current });
        }

        var votes = await db.ExtractApprovals.AsNoTracking().Where(v => v.ExtractId == id).ToListAsync(cancellationToken);
        if (votes.Any(v => v.StewardSubject == caller.Subject))
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return AlreadyVoted(http);
        }

        var voters = await ClientPersons.OfAsync(db, votes.Select(v => v.StewardSubject), cancellationToken);
        if (votes.Any(v => voters[v.StewardSubject] == callerPerson))
        {
            await transaction.RollbackAsync(CancellationToken.None);
            await audit.RecordAsync(ExtractAudit.ForRequest(audit, "extract.vote-refused", "denied", extract, tables).With(("vote", vote), ("problem", "same-person"), ("person", callerPerson)), cancellationToken);
            return QueryHttp.Problem(
                http,
                StatusCodes.Status403Forbidden,
                "same-person",
                "Même personne / Same person",
                "A client acting for the same person has already voted on this request: four-eyes approval needs two different people.");
        }

        var entity = await db.Extracts.SingleAsync(e => e.Id == id, cancellationToken);
        var ballot = new ExtractApprovalEntity
        {
            ExtractId = id,
            StewardSubject = caller.Subject,
            Organisation = caller.Organisation,
            Decision = vote,
            Comment = comment,
            DecidedAt = now,
        };
        db.ExtractApprovals.Add(ballot);
        votes.Add(ballot);
        entity.UpdatedAt = now;
        var required = Extract.ApprovalsRequired(tables);
        string action;
        IReadOnlyList<Decision> extractDecisions = [];
        if (vote == ExtractVotes.Reject)
        {
            entity.Status = ExtractStatus.Rejected;
            action = ExtractAudit.Rejected;
        }
        else
        {
            action = ExtractAudit.Approved;
            if (Extract.IsFullyApproved(required, votes))
            {
                // The last approval: decided again now; the retention runs from now, within the clause and contract.
                var retention = Extract.RetentionOf(entity);
                var owner = Extract.RequesterOf(entity);
                extractDecisions = [.. tables.Select(t => deps.Queries.Decide(t.ToDecisionRequest(owner, PolicyAction.Extract, entity.Purpose, retention)))];
                if (extractDecisions.Any(d => d.Effect == Effect.Deny))
                {
                    entity.Status = ExtractStatus.Denied;
                    entity.Failure = Truncate("no longer permitted: " + Extract.Summarise(extractDecisions.Where(d => d.Effect == Effect.Deny).SelectMany(d => d.Reasons)));
                }
                else
                {
                    entity.Status = ExtractStatus.Approved;
                    entity.ApprovedAt = now;
                    entity.RetentionDeadline = extractDecisions.Min(d => d.RetentionDeadline!.Value);
                    becameApproved = true;
                }
            }
        }

        var given = votes.Count(v => v.Decision == ExtractVotes.Approve);
        try
        {
            await audit.AppendInTransactionAsync(
                (ExtractAudit.ForRequest(audit, action, "success", entity, tables) with
                {
                    Effect = extractDecisions.Count > 0 && entity.Status == ExtractStatus.Denied ? Effect.Deny.ToWire() : null,
                    Reasons = [.. ExtractAudit.Reasons(approveDecisions), .. ExtractAudit.Reasons(extractDecisions)],
                }).With(
                    ("vote", vote),
                    ("steward", caller.Subject),
                    ("stewardOrganisation", caller.Organisation),
                    ("approvals", $"{given.ToString(CultureInfo.InvariantCulture)}/{required.Values.Sum().ToString(CultureInfo.InvariantCulture)}"),
                    ("complete", (entity.Status != ExtractStatus.PendingApproval).ToString(CultureInfo.InvariantCulture).ToLowerInvariant()),
                    ("commentLength", comment?.Length.ToString(CultureInfo.InvariantCulture))),
                cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The same steward voting twice at once: the primary key (extract, steward) keeps one vote.
            await transaction.RollbackAsync(CancellationToken.None);
            return AlreadyVoted(http);
        }

        if (becameApproved)
        {
            deps.Jobs.Enqueue(id);
        }

        return Results.Bytes(ExtractView.One(entity, votes, []), "application/json; charset=utf-8");
    }

    /// <summary>
    /// The file, to the requester only (anyone else: 404); 400 for a bad format or table; 409
    /// <c>extract-not-ready</c> (pending, approved, producing) or <c>extract-not-available</c> (rejected, denied,
    /// failed); 410 <c>extract-expired</c> (deadline passed) or <c>extract-purged</c>.
    /// </summary>
    private static async Task<IResult> DownloadAsync(string id, HttpContext http, ExtractDeps deps, ExtractFiles files, string? format, string? table, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var extract = Extract.IsId(id) ? await deps.Db.Extracts.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, cancellationToken) : null;
        if (extract is null || extract.RequesterSubject != caller.Subject)
        {
            return NotFound(http, id);
        }

        var tables = Extract.Tables(extract);
        var errors = new List<FieldError>();
        if (format is not (ExtractFiles.Csv or ExtractFiles.JsonFormat))
        {
            errors.Add(new FieldError("format", "format must be csv or json."));
        }

        var tableIndex = 0;
        if (format == ExtractFiles.Csv)
        {
            if (table is null)
            {
                tableIndex = tables.Count == 1 ? 1 : 0;
                if (tableIndex == 0)
                {
                    errors.Add(new FieldError("table", $"table is required: this extract has {tables.Count.ToString(CultureInfo.InvariantCulture)} tables, one CSV file each (1 to {tables.Count.ToString(CultureInfo.InvariantCulture)})."));
                }
            }
            else if (!int.TryParse(table, NumberStyles.None, CultureInfo.InvariantCulture, out tableIndex) || tableIndex < 1 || tableIndex > tables.Count)
            {
                errors.Add(new FieldError("table", $"table must be a number from 1 to {tables.Count.ToString(CultureInfo.InvariantCulture)}."));
            }
        }
        else if (table is not null && format == ExtractFiles.JsonFormat)
        {
            errors.Add(new FieldError("table", "the JSON file holds every table: omit table."));
        }

        if (errors.Count > 0)
        {
            return QueryHttp.Invalid(http, "download", errors);
        }

        var now = deps.Clock.GetUtcNow();
        if (Unavailable(http, extract, now) is { } unavailable)
        {
            return unavailable;
        }

        var file = await deps.Db.ExtractFiles.AsNoTracking()
            .FirstOrDefaultAsync(f => f.ExtractId == id && f.Format == format && f.TableIndex == tableIndex, cancellationToken)
            ?? throw new InvalidOperationException($"Extract {id} is ready but has no {format} file {tableIndex}.");
        var plaintext = files.Unprotect(id, file.Content);
        if (!string.Equals(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(plaintext)), file.Sha256, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Extract {id}: the {format} file does not match its hash.");
        }

        // Recorded (durably) before a byte leaves.
        var audit = deps.Audit;
        await audit.RecordAsync(
            ExtractAudit.ForRequest(audit, ExtractAudit.Downloaded, "success", extract, tables).With(
                ("format", format),
                ("table", tableIndex.ToString(CultureInfo.InvariantCulture)),
                ("sha256", file.Sha256),
                ("size", file.Size.ToString(CultureInfo.InvariantCulture))),
            cancellationToken);

        var headers = http.Response.Headers;
        headers.ContentDisposition = $"attachment; filename=\"{ExtractFiles.FileName(extract, tables, format!, tableIndex)}\"";
        headers["DataClauses-Extract"] = extract.Id;
        headers["DataClauses-Retention-Deadline"] = ExtractFiles.Instant(extract.RetentionDeadline);
        headers["DataClauses-Content-Sha256"] = file.Sha256;
        headers.CacheControl = "no-store";
        if (tableIndex > 0)
        {
            var t = tables[tableIndex - 1];
            headers["DataClauses-Contract"] = t.Contract;
            headers["DataClauses-Clause"] = t.Clause;
            headers["DataClauses-Version"] = t.Version;
        }

        return Results.Bytes(plaintext, format == ExtractFiles.Csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8");
    }

    /// <summary>
    /// The requester attests deleting every downstream copy (anyone else: 404): 200, once the extract has expired
    /// (again: 200, unchanged); 409 <c>extract-not-expired</c> before the deadline, <c>nothing-to-attest</c> when it
    /// was never produced.
    /// </summary>
    private static async Task<IResult> AttestAsync(string id, HttpContext http, ExtractDeps deps, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var db = deps.Db;
        var extract = Extract.IsId(id) ? await db.Extracts.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, cancellationToken) : null;
        if (extract is null || extract.RequesterSubject != caller.Subject)
        {
            return NotFound(http, id);
        }

        var now = deps.Clock.GetUtcNow();
        if (extract.ProducedAt is null)
        {
            return QueryHttp.Problem(http, StatusCodes.Status409Conflict, "nothing-to-attest", "Rien à attester / Nothing to attest", $"The extract was never produced (status '{extract.Status}'): there is no copy to delete.");
        }

        if (!ExtractStatus.Ended.Contains(extract.Status, StringComparer.Ordinal) && extract.RetentionDeadline > now)
        {
            return QueryHttp.Problem(
                http,
                StatusCodes.Status409Conflict,
                "extract-not-expired",
                "Extraction non expirée / Not expired",
                $"The extract may be kept until {ExtractFiles.Instant(extract.RetentionDeadline)}; attest its deletion once it has expired.",
                new Dictionary<string, object?>(StringComparer.Ordinal) { ["retentionDeadline"] = ExtractFiles.Instant(extract.RetentionDeadline) });
        }

        if (extract.AttestedAt is null)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var attested = await db.Extracts.Where(e => e.Id == id && e.AttestedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.AttestedAt, now).SetProperty(e => e.AttestedBy, caller.Subject).SetProperty(e => e.UpdatedAt, now), cancellationToken);
            if (attested == 1)
            {
                extract.AttestedAt = now;
                extract.AttestedBy = caller.Subject;
                await deps.Audit.AppendInTransactionAsync(ExtractAudit.ForRequest(deps.Audit, ExtractAudit.DeletionAttested, "success", extract, Extract.Tables(extract)), cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
        }

        return await GetAsync(id, http, deps, cancellationToken);
    }

    private static IResult? Unavailable(HttpContext http, ExtractEntity extract, DateTimeOffset now)
    {
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["extractStatus"] = extract.Status, ["retentionDeadline"] = ExtractFiles.Instant(extract.RetentionDeadline) };
        if (extract.Status == ExtractStatus.Purged)
        {
            extensions["purgeReason"] = extract.PurgeReason;
            return QueryHttp.Problem(http, StatusCodes.Status410Gone, "extract-purged", "Extraction purgée / Extract purged", "The extract's files were deleted at the end of its retention (or because the contract no longer permits it).", extensions);
        }

        if (extract.Status == ExtractStatus.Expired || (extract.RetentionDeadline <= now && extract.Status == ExtractStatus.Ready))
        {
            return QueryHttp.Problem(http, StatusCodes.Status410Gone, "extract-expired", "Extraction expirée / Extract expired", "The extract's retention has ended; its files are being purged.", extensions);
        }

        if (extract.Status is ExtractStatus.Rejected or ExtractStatus.Denied or ExtractStatus.Failed)
        {
            return QueryHttp.Problem(http, StatusCodes.Status409Conflict, "extract-not-available", "Extraction indisponible / Not available", $"The extract is '{extract.Status}': it has no files.", extensions);
        }

        if (extract.Status != ExtractStatus.Ready)
        {
            extensions["progress"] = extract.Progress;
            return QueryHttp.Problem(http, StatusCodes.Status409Conflict, "extract-not-ready", "Extraction pas prête / Not ready", $"The extract is '{extract.Status}'; download it once it is 'ready'.", extensions);
        }

        return null;
    }

    /// <summary>
    /// The extract if the caller may read it: its requester; a steward or DPO of an organisation providing one of its
    /// tables; a DPO of the requester's organisation. Null otherwise (404: ids of others are not confirmed).
    /// </summary>
    private static async Task<ExtractEntity?> FindVisibleAsync(GatewayDbContext db, string id, Caller caller, CancellationToken cancellationToken)
    {
        if (!Extract.IsId(id))
        {
            return null;
        }

        var extract = await db.Extracts.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (extract is null)
        {
            return null;
        }

        var visible = extract.RequesterSubject == caller.Subject
            || ((caller.Has(Roles.Steward) || caller.Has(Roles.Dpo)) && Extract.IsProvider(extract, caller.Organisation))
            || (caller.Has(Roles.Dpo) && extract.RequesterOrganisation == caller.Organisation);
        return visible ? extract : null;
    }

    private static IResult NotFound(HttpContext http, string id) => QueryHttp.Problem(
        http, StatusCodes.Status404NotFound, "not-found", "Introuvable / Not found", $"Extract '{(Extract.IsId(id) ? id : "…")}' does not exist or is not visible to you.");

    private static IResult AlreadyVoted(HttpContext http) => QueryHttp.Problem(
        http, StatusCodes.Status409Conflict, "already-voted", "Vote déjà enregistré / Already voted", "You have already approved or rejected this request; four-eyes approval needs another steward.");

    private static string DecisionsJson(IReadOnlyList<ExtractTable> tables, IReadOnlyList<Decision> decisions, IReadOnlyDictionary<string, int> required)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("effect", (required.Count == 0 ? Effect.Permit : Effect.ApprovalRequired).ToWire());
            w.WriteStartObject("approvalsRequired");
            foreach (var (organisation, count) in required)
            {
                w.WriteNumber(organisation, count);
            }

            w.WriteEndObject();
            w.WriteStartArray("tables");
            for (var i = 0; i < tables.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("dataset", tables[i].Dataset);
                w.WriteString("version", tables[i].Version);
                w.WritePropertyName("decision");
                DecisionJson.Write(w, decisions[i]);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static Dictionary<string, string> RequestDetails(ExtractRequest request, IReadOnlyList<DecisionRequest> tables) => new(StringComparer.Ordinal)
    {
        ["tables"] = string.Join(';', tables.Select(t => t.Dataset)),
        ["dimensions"] = string.Join(';', tables.Select(t => string.Join(',', t.Dimensions))),
        ["measures"] = string.Join(';', tables.Select(t => string.Join(',', t.Measures))),
        ["filters"] = string.Join(';', tables.Select(t => string.Join('&', t.Filters.Select(f => f.Dimension + "=" + string.Join('|', f.Values))))),
        ["requestedRetention"] = request.Retention ?? string.Empty,
    };

    private static Task RecordRefusalAsync(AuditService audit, ExtractRequest request, string dataset, string? owner, QueryProblem problem, CancellationToken cancellationToken) =>
        audit.RecordAsync(audit.Create(ExtractAudit.RequestRejected, "failure") with
        {
            DataOwner = owner,
            Dataset = dataset,
            Purpose = request.Purpose,
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["problem"] = problem.Type,
                ["status"] = problem.Status.ToString(CultureInfo.InvariantCulture),
                ["tables"] = string.Join(';', request.Tables.Select(t => t.Dataset)),
            },
        }, cancellationToken);

    private static string Truncate(string text) => text.Length > 1000 ? text[..1000] : text;
}

/// <summary>What the extract endpoints share, resolved once per request.</summary>
/// <param name="Db">The request's context.</param>
/// <param name="Queries">Decisions and protected cubes.</param>
/// <param name="Audit">The audit log.</param>
/// <param name="Jobs">The production queue.</param>
/// <param name="Clock">The injected clock.</param>
/// <param name="Committer">Group commit of new requests.</param>
internal sealed record ExtractDeps(GatewayDbContext Db, QueryService Queries, AuditService Audit, ExtractJobs Jobs, TimeProvider Clock, ExtractCommitter Committer);

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
        services.AddScoped<ExtractDeps>();
        return services;
    }

    public static IEndpointRouteBuilder MapExtracts(this IEndpointRouteBuilder app) => app.MapExtractsApi();
}
