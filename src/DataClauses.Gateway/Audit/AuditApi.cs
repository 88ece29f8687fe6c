using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DataClauses.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Audit;

/// <summary>
/// The DPO's endpoints under <c>/api/v1/audit</c> (docs/audit.md): the events about their organisation, the
/// verification of the chain and its signed checkpoints, on-demand checkpoints, the offline export and the
/// ethics-label report. Every call is itself audited.
/// </summary>
internal static class AuditApi
{
    /// <summary>Largest page of events.</summary>
    public const int MaxLimit = AuditExplorer.MaxLimit;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/audit")
            .WithTags("Audit")
            .RequireRateLimiting(RateLimits.Api);

        group.MapGet("/events", EventsAsync)
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.Dpo))
            .WithName("AuditEvents")
            .WithSummary("Audit events about the DPO's organisation (its datasets, its users and clients), newest first; filters from, to, organisation, dataset, purpose, actor, action (or prefix.*), effect; cursor pagination (limit <= 500).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/verify", VerifyAsync)
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.Dpo, Roles.Admin))
            .WithName("AuditVerify")
            .WithSummary("Recomputes the chain (or the sequence range from..to) against its signed checkpoints and the node's public keys; names the first bad event.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/checkpoints", CheckpointsAsync)
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.Dpo, Roles.Admin))
            .WithName("AuditCheckpoints")
            .WithSummary("Signed checkpoints of the chain head, newest first (cursor pagination, limit <= 500).");
        group.MapPost("/checkpoints", SignCheckpointAsync)
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.Dpo, Roles.Admin))
            .WithName("AuditSignCheckpoint")
            .WithSummary("Signs the chain head now (201), or returns the checkpoint already at the head (200); 409 when the chain since the last checkpoint does not verify.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/export", ExportAsync)
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.Dpo, Roles.Admin))
            .WithName("AuditExport")
            .WithSummary("The whole remaining chain and its checkpoints as JSON Lines with the public keys that signed them, verifiable offline (dataclauses audit verify --export FILE).");
        group.MapGet("/report", ReportAsync)
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.Dpo))
            .WithName("AuditReport")
            .WithSummary("The ethics-label report of the DPO's organisation over from..to: accesses, decisions, denial reasons, extracts and retention, cells suppressed, publication commitments, chain status, alerts (JSON, CSV or printable HTML).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status406NotAcceptable);
        return app;
    }

    /// <summary>GET /api/v1/audit/events.</summary>
    private static async Task<IResult> EventsAsync(HttpContext http, AuditExplorer explorer, AuditService audit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var query = http.Request.Query;
        var errors = new List<FieldError>();
        var from = Instant(query, "from", errors);
        var to = Instant(query, "to", errors);
        var limit = Limit(query, errors);
        var cursor = Cursor(query, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation("The query parameters are not valid.", errors);
        }

        var organisation = Text(query, "organisation");
        if (organisation is not null && !string.Equals(organisation, caller.Organisation, StringComparison.Ordinal))
        {
            // A DPO audits their own organisation only; asking for another is refused rather than silently emptied.
            return Problems.Forbidden($"A DPO of '{caller.Organisation}' sees the events of '{caller.Organisation}' only.");
        }

        var filter = new AuditFilter
        {
            From = from,
            To = to,
            Dataset = Text(query, "dataset"),
            Purpose = Text(query, "purpose"),
            Actor = Text(query, "actor"),
            Action = Text(query, "action"),
            Effect = Text(query, "effect"),
            Before = cursor,
        };
        var page = await explorer.ReadAsync(caller.Organisation, filter, limit, cancellationToken);
        var items = new JsonArray();
        foreach (var row in page.Events)
        {
            items.Add(EventJson(row.Sequence, row.PreviousHash, row.Hash, row.Event));
        }

        var details = filter.Described();
        details["resource"] = "events";
        details["count"] = page.Events.Count.ToString(CultureInfo.InvariantCulture);
        await audit.RecordAsync(audit.Create(AuditActions.Read, "success") with { Details = details }, cancellationToken);
        var body = new JsonObject
        {
            ["events"] = items,
            ["nextCursor"] = page.NextBefore is { } next ? EncodeCursor(next) : null,
        };
        return Results.Text(body.ToJsonString(), "application/json; charset=utf-8");
    }

    /// <summary>GET /api/v1/audit/verify.</summary>
    private static async Task<IResult> VerifyAsync(HttpContext http, AuditExplorer explorer, AuditService audit, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var from = Sequence(http.Request.Query, "from", errors);
        var to = Sequence(http.Request.Query, "to", errors);
        if (from is not null && to is not null && to < from)
        {
            errors.Add(new FieldError("to", "must not be below from"));
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The query parameters are not valid.", errors);
        }

        var verification = await explorer.VerifyAsync(audit, from, to, cancellationToken);
        var body = new JsonObject
        {
            ["intact"] = verification.Intact,
            ["eventsChecked"] = verification.EventsChecked,
            ["checkpointsChecked"] = verification.CheckpointsChecked,
            ["firstBadSequence"] = verification.FirstBadSequence,
            ["problem"] = verification.Problem,
            ["detail"] = verification.Detail,
            ["head"] = new JsonObject { ["sequence"] = verification.HeadSequence, ["hash"] = verification.HeadHash },
        };
        return Results.Text(body.ToJsonString(), "application/json; charset=utf-8");
    }

    /// <summary>GET /api/v1/audit/checkpoints.</summary>
    private static async Task<IResult> CheckpointsAsync(HttpContext http, GatewayDbContext db, AuditService audit, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var limit = Limit(http.Request.Query, errors);
        var cursor = Cursor(http.Request.Query, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation("The query parameters are not valid.", errors);
        }

        var query = db.AuditCheckpoints.AsNoTracking();
        if (cursor is { } before)
        {
            query = query.Where(c => c.Sequence < before);
        }

        var page = await query.OrderByDescending(c => c.Sequence).Take(limit + 1).ToListAsync(cancellationToken);
        var more = page.Count > limit;
        if (more)
        {
            page.RemoveAt(page.Count - 1);
        }

        await audit.RecordAsync(audit.Create(AuditActions.Read, "success") with
        {
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["resource"] = "checkpoints",
                ["count"] = page.Count.ToString(CultureInfo.InvariantCulture),
            },
        }, cancellationToken);
        var body = new JsonObject
        {
            ["checkpoints"] = new JsonArray([.. page.Select(c => (JsonNode)CheckpointJson(AuditLedger.ToModel(c)))]),
            ["nextCursor"] = more ? EncodeCursor(page[^1].Sequence) : null,
        };
        return Results.Text(body.ToJsonString(), "application/json; charset=utf-8");
    }

    /// <summary>POST /api/v1/audit/checkpoints.</summary>
    private static async Task<IResult> SignCheckpointAsync(AuditCheckpoints checkpoints, AuditService audit, CancellationToken cancellationToken)
    {
        var result = await checkpoints.SignHeadAsync(AuditCheckpoint.OnDemand, cancellationToken);
        if (result.Refused is { } refused)
        {
            await audit.RecordAsync(audit.Create(AuditActions.CheckpointSigned, "failure") with
            {
                Details = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["firstBadSequence"] = refused.FirstBadSequence?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                    ["problem"] = refused.Problem ?? string.Empty,
                },
            }, cancellationToken);
            return Problems.Create(StatusCodes.Status409Conflict, "audit-chain-broken", "Journal d'audit altéré / Audit chain broken",
                $"The chain does not verify at event {refused.FirstBadSequence} ({refused.Problem}); no checkpoint is signed over it.",
                new Dictionary<string, object?> { ["firstBadSequence"] = refused.FirstBadSequence, ["problem"] = refused.Problem });
        }

        if (result.Checkpoint is not { } checkpoint)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "audit-chain-empty", "Journal vide / Empty audit chain", "There is no event to sign yet.");
        }

        await audit.RecordAsync(audit.Create(AuditActions.CheckpointSigned, "success") with
        {
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["checkpoint"] = checkpoint.Sequence.ToString(CultureInfo.InvariantCulture),
                ["created"] = result.Created ? "true" : "false",
                ["kid"] = checkpoint.KeyId,
            },
        }, cancellationToken);
        var json = CheckpointJson(checkpoint).ToJsonString();
        return result.Created
            ? Results.Text(json, "application/json; charset=utf-8", statusCode: StatusCodes.Status201Created)
            : Results.Text(json, "application/json; charset=utf-8");
    }

    /// <summary>GET /api/v1/audit/export: JSON Lines streamed (header, events, checkpoints).</summary>
    private static async Task ExportAsync(HttpContext http, GatewayDbContext db, AuditService audit, TimeProvider clock, IOptions<GatewayOptions> options, CancellationToken cancellationToken)
    {
        var ledger = new AuditLedger(db);
        await audit.RecordAsync(audit.Create(AuditActions.Exported, "success"), cancellationToken);

        // One consistent bound: rows and checkpoints up to the head read now (later appends are simply not in it).
        var anchor = await ledger.LatestAnchorAsync(cancellationToken);
        var head = await ledger.HeadAsync(cancellationToken);
        var first = (anchor?.Sequence ?? 0) + 1;
        var last = head?.Sequence ?? 0;
        var checkpoints = await ledger.CheckpointsAsync(first - 1, last, cancellationToken);
        var jwks = await ledger.PublicJwksAsync(cancellationToken);
        var keys = checkpoints.Select(c => c.KeyId).Distinct(StringComparer.Ordinal).Where(jwks.ContainsKey)
            .ToDictionary(k => k, k => jwks[k], StringComparer.Ordinal);
        var header = new AuditExportHeader(options.Value.NodeId, first, anchor?.Hash ?? AuditChain.GenesisHash, clock.GetUtcNow(), keys);

        http.Response.ContentType = "application/x-ndjson; charset=utf-8";
        var name = string.Create(CultureInfo.InvariantCulture, $"audit-{options.Value.NodeId}-{clock.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}.jsonl");
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 1 << 16);
        await writer.WriteLineAsync(AuditExport.HeaderLine(header).AsMemory(), cancellationToken);
        var pending = new Queue<AuditCheckpoint>(checkpoints);
        while (pending.Count > 0 && pending.Peek().Sequence < first)
        {
            await writer.WriteLineAsync(AuditExport.CheckpointLine(pending.Dequeue()).AsMemory(), cancellationToken);
        }

        await foreach (var row in ledger.RowsAsync(first, last).WithCancellation(cancellationToken))
        {
            await writer.WriteLineAsync(AuditExport.EventLine(row).AsMemory(), cancellationToken);
            while (pending.Count > 0 && pending.Peek().Sequence <= row.Sequence)
            {
                await writer.WriteLineAsync(AuditExport.CheckpointLine(pending.Dequeue()).AsMemory(), cancellationToken);
            }
        }

        while (pending.Count > 0)
        {
            await writer.WriteLineAsync(AuditExport.CheckpointLine(pending.Dequeue()).AsMemory(), cancellationToken);
        }

        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>GET /api/v1/audit/report.</summary>
    private static async Task<IResult> ReportAsync(HttpContext http, AuditReportBuilder builder, AuditService audit, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var query = http.Request.Query;
        var errors = new List<FieldError>();
        // By default the last twelve months up to now included (the bound is exclusive: the next whole second).
        var to = Instant(query, "to", errors) ?? NextSecond(clock.GetUtcNow());
        var from = Instant(query, "from", errors) ?? to.AddYears(-1);
        if (from >= to)
        {
            errors.Add(new FieldError("from", "must be before to"));
        }

        var format = Text(query, "format") ?? Negotiate(http.Request);
        if (format is null)
        {
            return Problems.Create(StatusCodes.Status406NotAcceptable, "not-acceptable", "Format non disponible / Not acceptable", "The report is available as application/json, text/csv or text/html (or ?format=json|csv|html).");
        }

        if (format is not ("json" or "csv" or "html"))
        {
            errors.Add(new FieldError("format", "must be json, csv or html"));
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The query parameters are not valid.", errors);
        }

        var report = await builder.BuildAsync(caller.Organisation, from, to, cancellationToken);
        await audit.RecordAsync(audit.Create(AuditActions.Report, "success") with
        {
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["from"] = AuditCanonicalForm.FormatInstant(from),
                ["to"] = AuditCanonicalForm.FormatInstant(to),
                ["format"] = format,
                ["alerts"] = report.Alerts.Count.ToString(CultureInfo.InvariantCulture),
            },
        }, cancellationToken);
        return format switch
        {
            "csv" => Results.Bytes(AuditReportFormats.ToCsv(report), "text/csv; charset=utf-8", $"rapport-audit-{caller.Organisation}.csv"),
            "html" => Results.Bytes(AuditReportFormats.ToHtml(report), "text/html; charset=utf-8"),
            _ => Results.Bytes(AuditReportFormats.ToJson(report), "application/json; charset=utf-8"),
        };
    }

    private static DateTimeOffset NextSecond(DateTimeOffset instant) =>
        new(instant.UtcTicks - (instant.UtcTicks % TimeSpan.TicksPerSecond) + TimeSpan.TicksPerSecond, TimeSpan.Zero);

    private static string? Negotiate(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0)
        {
            return "json";
        }

        foreach (var media in accept.OrderByDescending(a => a.Quality ?? 1))
        {
            var type = media.MediaType.Value;
            if (string.Equals(type, "application/json", StringComparison.OrdinalIgnoreCase) || string.Equals(type, "*/*", StringComparison.Ordinal) || string.Equals(type, "application/*", StringComparison.OrdinalIgnoreCase))
            {
                return "json";
            }

            if (string.Equals(type, "text/csv", StringComparison.OrdinalIgnoreCase))
            {
                return "csv";
            }

            if (string.Equals(type, "text/html", StringComparison.OrdinalIgnoreCase) || string.Equals(type, "text/*", StringComparison.OrdinalIgnoreCase))
            {
                return "html";
            }
        }

        return null;
    }

    internal static JsonObject EventJson(long sequence, string previousHash, string hash, AuditEvent e)
    {
        var actor = new JsonObject
        {
            ["subject"] = e.Actor.Subject,
            ["organisation"] = e.Actor.Organisation,
            ["roles"] = new JsonArray([.. e.Actor.Roles.Select(r => (JsonNode)JsonValue.Create(r))]),
            ["clientId"] = e.Actor.ClientId,
            ["ip"] = e.Actor.Ip,
        };
        var obligations = new JsonObject();
        foreach (var (key, value) in e.Obligations.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            obligations[key] = value;
        }

        var details = new JsonObject();
        foreach (var (key, value) in e.Details.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            details[key] = value;
        }

        return new JsonObject
        {
            ["sequence"] = sequence,
            ["timestamp"] = AuditCanonicalForm.FormatInstant(e.Timestamp),
            ["action"] = e.Action,
            ["outcome"] = e.Outcome,
            ["actor"] = actor,
            ["dataOwner"] = e.DataOwner,
            ["dataset"] = e.Dataset,
            ["version"] = e.Version,
            ["purpose"] = e.Purpose,
            ["effect"] = e.Effect,
            ["reasons"] = new JsonArray([.. e.Reasons.Select(r => (JsonNode)new JsonObject { ["rule"] = r.Rule, ["clause"] = r.Clause, ["subject"] = r.Subject })]),
            ["obligations"] = obligations,
            ["cellsSuppressed"] = e.CellsSuppressed,
            ["correlationId"] = e.CorrelationId,
            ["nodeId"] = e.NodeId,
            ["details"] = details,
            ["previousHash"] = previousHash,
            ["hash"] = hash,
        };
    }

    private static JsonObject CheckpointJson(AuditCheckpoint c) => new()
    {
        ["sequence"] = c.Sequence,
        ["hash"] = c.Hash,
        ["nodeId"] = c.NodeId,
        ["signedAt"] = AuditCanonicalForm.FormatInstant(c.Timestamp),
        ["keyId"] = c.KeyId,
        ["kind"] = c.Kind,
        ["signature"] = c.Signature,
    };

    private static string? Text(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0] : null;

    private static DateTimeOffset? Instant(IQueryCollection query, string name, List<FieldError> errors)
    {
        if (Text(query, name) is not { } text)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }

        errors.Add(new FieldError(name, "must be an ISO 8601 instant (e.g. 2026-01-01T00:00:00Z)"));
        return null;
    }

    private static long? Sequence(IQueryCollection query, string name, List<FieldError> errors)
    {
        if (Text(query, name) is not { } text)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1)
        {
            return value;
        }

        errors.Add(new FieldError(name, "must be a sequence number (1 or more)"));
        return null;
    }

    private static int Limit(IQueryCollection query, List<FieldError> errors)
    {
        if (Text(query, "limit") is not { } text)
        {
            return 100;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= MaxLimit)
        {
            return value;
        }

        errors.Add(new FieldError("limit", $"must be between 1 and {MaxLimit}"));
        return 100;
    }

    /// <summary>The cursor is opaque to clients: base64url of "before:{sequence}".</summary>
    private static long? Cursor(IQueryCollection query, List<FieldError> errors)
    {
        if (Text(query, "cursor") is not { } text)
        {
            return null;
        }

        try
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            if (decoded.StartsWith("before:", StringComparison.Ordinal)
                && long.TryParse(decoded.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            {
                return sequence;
            }
        }
        catch (FormatException)
        {
            // Reported below.
        }

        errors.Add(new FieldError("cursor", "is not a cursor this API returned"));
        return null;
    }

    private static string EncodeCursor(long sequence) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"before:{sequence}"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The audit's own actions.</summary>
internal static class AuditActions
{
    public const string Read = "audit.read";
    public const string Verified = "audit.verified";
    public const string Exported = "audit.exported";
    public const string Report = "audit.report";
    public const string CheckpointSigned = "audit.checkpoint-signed";
    public const string AccessDenied = "access.denied";
}
