using System.Globalization;
using System.Text.Json;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Queries;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Extracts;

/// <summary>An extract as its readers see it: the row, the votes so far, the files (metadata only).</summary>
/// <param name="Extract">The extract.</param>
/// <param name="Votes">The stewards' votes.</param>
/// <param name="Files">The files when ready (content left out).</param>
internal sealed record ExtractDetails(ExtractEntity Extract, IReadOnlyList<ExtractApprovalEntity> Votes, IReadOnlyList<ExtractFileEntity> Files);

/// <summary>A list of extracts with their votes; for the steward queue, whether each waits for the caller.</summary>
/// <param name="Extracts">Newest first.</param>
/// <param name="Votes">Votes by extract id.</param>
/// <param name="AwaitingCaller">For the queue only: whether the caller's vote is awaited.</param>
internal sealed record ExtractList(IReadOnlyList<ExtractEntity> Extracts, ILookup<string, ExtractApprovalEntity> Votes, Func<ExtractEntity, bool>? AwaitingCaller);

/// <summary>A file to hand to the requester, its download already audited.</summary>
/// <param name="Extract">The extract.</param>
/// <param name="Tables">Its tables.</param>
/// <param name="Format">csv or json.</param>
/// <param name="TableIndex">The table of a CSV file (1-based); 0 for the JSON file.</param>
/// <param name="Sha256">The plaintext's hash, checked.</param>
/// <param name="Content">The plaintext.</param>
internal sealed record ExtractDownload(ExtractEntity Extract, IReadOnlyList<ExtractTable> Tables, string Format, int TableIndex, string Sha256, byte[] Content);

/// <summary>
/// The extracts workflow (docs/extracts.md) for the API and the portal alike: request, vote, download, attest.
/// Every step returns an outcome value (the result or an <see cref="ApiProblem"/>) and audits exactly as the API
/// always did; the status changes are the transitions of <see cref="ExtractTransitions"/>.
/// </summary>
internal sealed class ExtractWorkflow(
    GatewayDbContext db, PolicyDecisions decisions, QueryService queries, AuditService audit, ExtractJobs jobs, TimeProvider clock, ExtractCommitter committer, ExtractFiles files)
{
    private const int ListLimit = 200;

    /// <summary>
    /// Decides every table first, from the contracts alone (a denial reads nothing: 403 with every denying table's
    /// reasons); then pins each version and checks its cube; stores the request with its event. The extract is
    /// <c>approved</c> (production queued) when the clauses approve automatically, <c>pending-approval</c> otherwise.
    /// </summary>
    public async Task<(ExtractEntity? Extract, ApiProblem? Problem)> RequestAsync(ExtractRequest request, Caller caller, string correlationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(caller);
        var requester = caller.ToRequester();
        var retention = request.RetentionDuration;
        var decisionRequests = request.Tables.Select(t => t.ToDecisionRequest(requester, PolicyAction.Extract) with { Retention = retention, Node = caller.Node }).ToList();

        var datasets = new List<DatasetDeclaration>(decisionRequests.Count);
        foreach (var table in decisionRequests)
        {
            if (queries.FindDataset(table.Dataset) is not { } dataset)
            {
                var notFound = QueryProblem.DatasetNotFound(table.Dataset);
                await RecordRefusalAsync(request, table.Dataset, null, notFound, cancellationToken);
                return (null, notFound);
            }

            datasets.Add(dataset);
        }

        var tableDecisions = decisionRequests.Select(decisions.Decide).ToList();
        if (tableDecisions.Any(d => d.Effect == Effect.Deny))
        {
            return (null, await DenyAsync(request, decisionRequests, datasets, tableDecisions, cancellationToken));
        }

        // Pin each version and check that its cube can be defined, before anything is stored.
        var tables = new List<ExtractTable>(decisionRequests.Count);
        for (var i = 0; i < decisionRequests.Count; i++)
        {
            var (version, _, problem) = await queries.PinAsync(tableDecisions[i], datasets[i], decisionRequests[i].Dataset, request.Tables[i].Version, cancellationToken);
            if (problem is not null)
            {
                await RecordRefusalAsync(request, decisionRequests[i].Dataset, datasets[i].Provider, problem, cancellationToken);
                return (null, problem);
            }

            tables.Add(ExtractTable.Of(decisionRequests[i], version!.Version, tableDecisions[i]));
        }

        var extract = ExtractTransitions.NewRequest(request, caller, tables, tableDecisions, DecisionsJson(tables, tableDecisions), clock.GetUtcNow(), correlationId);
        var required = Extract.ApprovalsRequired(tables);
        var automatic = extract.Status == ExtractStatus.Approved;
        var requested = (ExtractAudit.ForRequest(audit, ExtractAudit.Requested, "success", extract, tables) with
        {
            Effect = (automatic ? Effect.Permit : Effect.ApprovalRequired).ToWire(),
            Reasons = ExtractAudit.Reasons(tableDecisions),
            Obligations = QueryAudit.Obligations(tableDecisions[0].Obligations),
        }).With(
            ("approval", automatic ? "automatic" : string.Join(',', required.Select(r => $"{r.Key}={r.Value.ToString(CultureInfo.InvariantCulture)}"))),
            ("requestedRetention", extract.RequestedRetention),
            ("justificationLength", extract.Justification.Length.ToString(CultureInfo.InvariantCulture)));

        // Stored with its event, by group commit with concurrent requests (one audit-chain lock per batch).
        await committer.CommitAsync(
            (context, _) =>
            {
                context.Extracts.Add(extract);
                return Task.FromResult<IReadOnlyList<AuditEvent>?>([requested]);
            },
            cancellationToken);

        if (automatic)
        {
            jobs.Enqueue(extract.Id);
        }

        return (extract, null);
    }

    /// <summary>The extract with what can exist of it (votes when a clause needs approval, files when ready), or 404.</summary>
    public async Task<(ExtractDetails? Details, ApiProblem? Problem)> GetAsync(string id, Caller caller, CancellationToken cancellationToken)
    {
        var extract = await FindVisibleAsync(id, caller, cancellationToken);
        if (extract is null)
        {
            return (null, NotFound(id));
        }

        // Only what can exist is read: a status poll is one query.
        var votes = Extract.ApprovalsRequired(Extract.Tables(extract)).Count > 0
            ? await db.ExtractApprovals.AsNoTracking().Where(v => v.ExtractId == id).ToListAsync(cancellationToken)
            : [];
        var ready = extract.Status == ExtractStatus.Ready
            ? await db.ExtractFiles.AsNoTracking().Where(f => f.ExtractId == id)
                .Select(f => new ExtractFileEntity { ExtractId = f.ExtractId, Format = f.Format, TableIndex = f.TableIndex, Sha256 = f.Sha256, Size = f.Size, Content = Array.Empty<byte>(), CreatedAt = f.CreatedAt })
                .ToListAsync(cancellationToken)
            : [];
        return (new ExtractDetails(extract, votes, ready), null);
    }

    /// <summary>The caller's own extracts (<paramref name="mine"/>), or every extract the caller may read as steward or DPO.</summary>
    public Task<ExtractList> ListAsync(Caller caller, bool mine, string? status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var query = db.Extracts.AsNoTracking();
        if (mine)
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

        return ListOfAsync(query, null, cancellationToken);
    }

    /// <summary>For a steward: the requests pending approval on datasets their organisation provides.</summary>
    public Task<ExtractList> QueueAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var bar = "|" + caller.Organisation + "|";
        var query = db.Extracts.AsNoTracking().Where(e => e.Status == ExtractStatus.PendingApproval && e.Providers.Contains(bar));
        return ListOfAsync(query, (extract, votes) =>
            extract.RequesterSubject != caller.Subject
            && Extract.ApprovalsRequired(Extract.Tables(extract)).TryGetValue(caller.Organisation, out var needed)
            && votes.Count(v => v.Organisation == caller.Organisation && v.Decision == ExtractVotes.Approve) < needed
            && votes.All(v => v.StewardSubject != caller.Subject), cancellationToken);
    }

    /// <summary>For a DPO: expired or purged extracts not yet attested, on their organisation's datasets or requested by it.</summary>
    public Task<ExtractList> UnattestedAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var bar = "|" + caller.Organisation + "|";
        var query = db.Extracts.AsNoTracking().Where(e => ExtractStatus.Ended.Contains(e.Status)
            && e.ProducedAt != null
            && e.AttestedAt == null
            && (e.Providers.Contains(bar) || e.RequesterOrganisation == caller.Organisation));
        return ListOfAsync(query, null, cancellationToken);
    }

    /// <summary>
    /// The extract if the caller may read it: its requester; a steward or DPO of an organisation providing one of its
    /// tables; a DPO of the requester's organisation. Null otherwise (404: ids of others are not confirmed).
    /// </summary>
    public async Task<ExtractEntity?> FindVisibleAsync(string id, Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
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

    /// <summary>
    /// A steward's vote on a visible extract: 403 <c>self-approval</c>, <c>same-person</c> or <c>forbidden</c> (the
    /// approve decision denies); 409 <c>extract-not-pending</c>, <c>already-voted</c>. The last approval decides the
    /// extract again, now: approved (production queued) or denied.
    /// </summary>
    public async Task<(ExtractDetails? Details, ApiProblem? Problem)> VoteAsync(ExtractEntity extract, Caller caller, string vote, string? comment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(extract);
        ArgumentNullException.ThrowIfNull(caller);
        var id = extract.Id;
        var tables = Extract.Tables(extract);

        // Four-eyes means two people: clients acting for one person count as one (Identity/ClientPersons).
        var callerPerson = await ClientPersons.OfAsync(db, caller.Subject, cancellationToken);
        if (extract.RequesterSubject == caller.Subject || callerPerson == await ClientPersons.OfAsync(db, extract.RequesterSubject, cancellationToken))
        {
            await audit.RecordAsync(ExtractAudit.ForRequest(audit, "extract.vote-refused", "denied", extract, tables).With(("vote", vote), ("problem", "self-approval")), cancellationToken);
            return (null, ExtractProblems.SelfApproval);
        }

        // The approve decision of every table the caller's organisation provides (provider-only, steward role).
        var own = tables.Where(t => t.Provider == caller.Organisation && t.ApprovalsRequired > 0).ToList();
        var requester = caller.ToRequester();
        var approveDecisions = (own.Count > 0 ? own : [tables[0]])
            .Select(t => decisions.Decide(new DecisionRequest { Requester = requester, Action = PolicyAction.Approve, Dataset = t.Dataset, Purpose = extract.Purpose }))
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
            return (null, PolicyDecisions.Denied(
                Effect.Deny,
                approveDecisions.SelectMany(d => d.Reasons.Where(r => d.Effect == Effect.Deny)),
                own.Count == 0
                    ? "Only a steward of a provider whose clause requires approval may approve or reject this extract."
                    : "Only a steward of the provider may approve or reject this extract."));
        }

        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // Locks the extract's row (PostgreSQL; SQLite has one writer): votes on one extract are counted one at a time.
        var pending = await db.Extracts.Where(e => e.Id == id && e.Status == ExtractStatus.PendingApproval)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.UpdatedAt, now), cancellationToken);
        if (pending == 0)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            var current = await db.Extracts.AsNoTracking().Where(e => e.Id == id).Select(e => e.Status).SingleAsync(cancellationToken);
            return (null, ExtractProblems.NotPending(current));
        }

        var votes = await db.ExtractApprovals.AsNoTracking().Where(v => v.ExtractId == id).ToListAsync(cancellationToken);
        if (votes.Any(v => v.StewardSubject == caller.Subject))
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return (null, ExtractProblems.AlreadyVoted);
        }

        var voters = await ClientPersons.OfAsync(db, votes.Select(v => v.StewardSubject), cancellationToken);
        if (votes.Any(v => voters[v.StewardSubject] == callerPerson))
        {
            await transaction.RollbackAsync(CancellationToken.None);
            await audit.RecordAsync(ExtractAudit.ForRequest(audit, "extract.vote-refused", "denied", extract, tables).With(("vote", vote), ("problem", "same-person"), ("person", callerPerson)), cancellationToken);
            return (null, ExtractProblems.SamePerson);
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
        IReadOnlyList<Decision> extractDecisions = [];
        if (vote == ExtractVotes.Reject)
        {
            entity.Reject();
        }
        else if (Extract.IsFullyApproved(required, votes))
        {
            // The last approval: decided again now; the retention runs from now, within the clause and contract.
            var retention = Extract.RetentionOf(entity);
            var owner = Extract.RequesterOf(entity);
            extractDecisions = [.. tables.Select(t => decisions.Decide(t.ToDecisionRequest(owner, PolicyAction.Extract, entity.Purpose, retention)))];
            entity.Conclude(extractDecisions, now);
        }

        var given = votes.Count(v => v.Decision == ExtractVotes.Approve);
        try
        {
            await audit.AppendInTransactionAsync(
                (ExtractAudit.ForRequest(audit, vote == ExtractVotes.Reject ? ExtractAudit.Rejected : ExtractAudit.Approved, "success", entity, tables) with
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
            return (null, ExtractProblems.AlreadyVoted);
        }

        if (entity.Status == ExtractStatus.Approved)
        {
            jobs.Enqueue(id);
        }

        return (new ExtractDetails(entity, votes, []), null);
    }

    /// <summary>
    /// A file of a ready extract, to its requester only (anyone else: 404), audited durably before a byte leaves:
    /// 400 for a bad format or table; 409 <c>extract-not-ready</c> or <c>extract-not-available</c>; 410
    /// <c>extract-expired</c> or <c>extract-purged</c>.
    /// </summary>
    public async Task<(ExtractDownload? Download, ApiProblem? Problem)> DownloadAsync(string id, Caller caller, string? format, string? table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var extract = Extract.IsId(id) ? await db.Extracts.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, cancellationToken) : null;
        if (extract is null || extract.RequesterSubject != caller.Subject)
        {
            return (null, NotFound(id));
        }

        var tables = Extract.Tables(extract);
        var (tableIndex, errors) = ExtractFiles.Choose(format, table, tables.Count);
        if (errors.Count > 0)
        {
            return (null, ApiProblem.Invalid("download", errors));
        }

        if (ExtractProblems.Unavailable(extract, clock.GetUtcNow()) is { } unavailable)
        {
            return (null, unavailable);
        }

        var file = await db.ExtractFiles.AsNoTracking()
            .FirstOrDefaultAsync(f => f.ExtractId == id && f.Format == format && f.TableIndex == tableIndex, cancellationToken)
            ?? throw new InvalidOperationException($"Extract {id} is ready but has no {format} file {tableIndex}.");
        var plaintext = files.Unprotect(id, file.Content);
        if (!string.Equals(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(plaintext)), file.Sha256, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Extract {id}: the {format} file does not match its hash.");
        }

        // Recorded (durably) before a byte leaves.
        await audit.RecordAsync(
            ExtractAudit.ForRequest(audit, ExtractAudit.Downloaded, "success", extract, tables).With(
                ("format", format),
                ("table", tableIndex.ToString(CultureInfo.InvariantCulture)),
                ("sha256", file.Sha256),
                ("size", file.Size.ToString(CultureInfo.InvariantCulture))),
            cancellationToken);
        return (new ExtractDownload(extract, tables, format!, tableIndex, file.Sha256, plaintext), null);
    }

    /// <summary>
    /// The requester attests deleting every downstream copy (anyone else: 404), once the extract has expired (again:
    /// unchanged); 409 <c>extract-not-expired</c> before the deadline, <c>nothing-to-attest</c> when never produced.
    /// </summary>
    public async Task<(ExtractDetails? Details, ApiProblem? Problem)> AttestAsync(string id, Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var extract = Extract.IsId(id) ? await db.Extracts.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, cancellationToken) : null;
        if (extract is null || extract.RequesterSubject != caller.Subject)
        {
            return (null, NotFound(id));
        }

        var now = clock.GetUtcNow();
        if (ExtractProblems.NotAttestable(extract, now) is { } problem)
        {
            return (null, problem);
        }

        if (extract.AttestedAt is null)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var attested = await db.Extracts.Where(e => e.Id == id && e.AttestedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.AttestedAt, now).SetProperty(e => e.AttestedBy, caller.Subject).SetProperty(e => e.UpdatedAt, now), cancellationToken);
            if (attested == 1)
            {
                extract.Attest(caller.Subject, now);
                await audit.AppendInTransactionAsync(ExtractAudit.ForRequest(audit, ExtractAudit.DeletionAttested, "success", extract, Extract.Tables(extract)), cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
        }

        return await GetAsync(id, caller, cancellationToken);
    }

    /// <summary>404: the extract does not exist or the caller may not see it (ids of others are not confirmed).</summary>
    public static ApiProblem NotFound(string id) => new(
        StatusCodes.Status404NotFound, "not-found", "Introuvable / Not found", $"Extract '{(Extract.IsId(id) ? id : "…")}' does not exist or is not visible to you.");

    private async Task<ExtractList> ListOfAsync(IQueryable<ExtractEntity> query, Func<ExtractEntity, IReadOnlyList<ExtractApprovalEntity>, bool>? awaiting, CancellationToken cancellationToken)
    {
        // Newest first (ordered in memory: SQLite stores instants as ticks, PostgreSQL as timestamps; both sort, but
        // the limit is applied after an ordered query on the indexed id-free columns).
        var extracts = await query.OrderByDescending(e => e.CreatedAt).ThenBy(e => e.Id).Take(ListLimit).ToListAsync(cancellationToken);
        var ids = extracts.Select(e => e.Id).ToList();
        var votes = (await db.ExtractApprovals.AsNoTracking().Where(v => ids.Contains(v.ExtractId)).ToListAsync(cancellationToken)).ToLookup(v => v.ExtractId, StringComparer.Ordinal);
        Func<ExtractEntity, bool>? awaitingCaller = awaiting is null ? null : e => awaiting(e, [.. votes[e.Id]]);
        return new ExtractList(extracts, votes, awaitingCaller);
    }

    private async Task<ApiProblem> DenyAsync(
        ExtractRequest request, IReadOnlyList<DecisionRequest> decisionRequests, IReadOnlyList<DatasetDeclaration> datasets, IReadOnlyList<Decision> tableDecisions, CancellationToken cancellationToken)
    {
        await audit.RecordAsync(audit.Create(ExtractAudit.Denied, "denied") with
        {
            DataOwner = datasets[0].Provider,
            Dataset = datasets[0].Id,
            Purpose = request.Purpose,
            Effect = Effect.Deny.ToWire(),
            Reasons = ExtractAudit.Reasons(tableDecisions.Where(d => d.Effect == Effect.Deny)),
            Details = RequestDetails(request, decisionRequests),
        }, cancellationToken);
        var perTable = decisionRequests.Select((r, i) => new
        {
            dataset = r.Dataset,
            effect = tableDecisions[i].Effect.ToWire(),
            reasons = PolicyDecisions.ReasonsElement(tableDecisions[i].Reasons),
        }).ToList();
        return PolicyDecisions.Denied(
            Effect.Deny,
            tableDecisions.Where(d => d.Effect == Effect.Deny).SelectMany(d => d.Reasons),
            "The policy denies this extract; the reasons name the clauses and rules.",
            new Dictionary<string, object?>(StringComparer.Ordinal) { ["tables"] = perTable });
    }

    private static string DecisionsJson(IReadOnlyList<ExtractTable> tables, IReadOnlyList<Decision> decisions)
    {
        var required = Extract.ApprovalsRequired(tables);
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

    private Task RecordRefusalAsync(ExtractRequest request, string dataset, string? owner, ApiProblem problem, CancellationToken cancellationToken) =>
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
}
