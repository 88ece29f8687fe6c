using System.Text.RegularExpressions;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Identity;

/// <summary>Administration of OAuth clients by an admin of the same organisation; every change is audited.</summary>
internal static partial class AdminClientsApi
{
    public static IEndpointRouteBuilder MapAdminClientsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/admin/clients")
            .WithTags("Administration")
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.Admin))
            .RequireRateLimiting(RateLimits.Api)
            .AddEndpointFilter<TokenRevocation>();

        group.MapGet("/", ListAsync).WithName("ListClients").WithSummary("The clients of the caller's organisation.");
        group.MapPost("/", CreateAsync).WithName("CreateClient").WithSummary("Creates a client of the caller's organisation; the secret is shown once.")
            .Accepts<CreateClientRequest>("application/json");
        group.MapPost("/{clientId}/disable", (string clientId, HttpContext http, GatewayDbContext db, AuditService audit, CancellationToken ct) => SetDisabledAsync(clientId, true, http, db, audit, ct))
            .WithName("DisableClient").WithSummary("Disables a client: its next token requests fail.");
        group.MapPost("/{clientId}/enable", (string clientId, HttpContext http, GatewayDbContext db, AuditService audit, CancellationToken ct) => SetDisabledAsync(clientId, false, http, db, audit, ct))
            .WithName("EnableClient").WithSummary("Enables a disabled client.");
        group.MapPost("/{clientId}/secret", RotateSecretAsync).WithName("RotateClientSecret").WithSummary("Replaces a client's secret; the new secret is shown once.");

        // A DPO may confirm too: in a small organisation the admin is often the only admin.
        app.MapPost("/api/v1/admin/clients/{clientId}/confirm", ConfirmAsync)
            .WithTags("Administration")
            .RequireAuthorization(p => p.RequireOrganisationRole(Roles.Admin, Roles.Dpo))
            .RequireRateLimiting(RateLimits.Api)
            .AddEndpointFilter<TokenRevocation>()
            .WithName("ConfirmClient")
            .WithSummary("Another person (admin or DPO of the organisation) confirms the person a created client acts for; until then it counts as its creator.");
        return app;
    }

    /// <summary>A client as the admin API shows it (never its secret or hash).</summary>
    internal sealed record ClientView(
        string ClientId, string Organisation, IReadOnlyList<string> Roles, string? Description, bool Disabled, DateTimeOffset CreatedAt, DateTimeOffset SecretRotatedAt,
        string? Person, string? CreatedBy, string? ConfirmedBy, string ActsFor);

    /// <summary>A client and its secret, returned once at creation or rotation (none for a client that signs assertions).</summary>
    internal sealed record ClientWithSecret(ClientView Client, string? ClientSecret);

    /// <summary>
    /// What an admin sends to create a client. With <c>jwks</c> (the partner's public keys, RFC 7517), the client
    /// authenticates with <c>private_key_jwt</c> assertions (RFC 7523) instead of a shared secret, and none is issued.
    /// </summary>
    internal sealed record CreateClientRequest(string? ClientId, IReadOnlyList<string?>? Roles, string? Description, string? Person, System.Text.Json.JsonElement? Jwks = null);

    internal sealed partial class CreateClientValidator : AbstractValidator<CreateClientRequest>
    {
        public CreateClientValidator()
        {
            RuleFor(r => r.ClientId).Must(id => id is null || ClientIdPattern().IsMatch(id))
                .WithMessage("clientId must be 3 to 100 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.");
            RuleFor(r => r.Roles).NotEmpty().WithMessage("roles must list at least one role.");
            RuleForEach(r => r.Roles).Must(role => Identity.Roles.All.Contains(role, StringComparer.Ordinal))
                .WithMessage(r => $"roles must be among: {string.Join(", ", Identity.Roles.All)}.");
            RuleFor(r => r.Description).MaximumLength(500).Must(d => d is null || !d.Any(char.IsControl)).WithMessage("description must not contain control characters.");
            RuleFor(r => r.Person).Must(p => p is null || PersonPattern().IsMatch(p))
                .WithMessage("person must be 3 to 200 characters (letters, digits, '@', '.', '_', '+', '-'), naming the person the client acts for.");
            RuleFor(r => r.Jwks).Must(jwks => jwks is null || PublicKeys(jwks.Value) is not null)
                .WithMessage("jwks must be a JSON Web Key Set of public signing keys (EC or RSA, no private parts).");
        }

        /// <summary>The partner's keys, when they form a set of public EC or RSA signing keys; null otherwise.</summary>
        public static Microsoft.IdentityModel.Tokens.JsonWebKeySet? PublicKeys(System.Text.Json.JsonElement jwks)
        {
            try
            {
                var set = new Microsoft.IdentityModel.Tokens.JsonWebKeySet(jwks.GetRawText());
                return set.Keys.Count > 0 && set.Keys.All(k => k.Kty is "EC" or "RSA" && !k.HasPrivateKey && k.Use is null or "sig")
                    ? set
                    : null;
            }
            catch (ArgumentException)
            {
                return null;
            }
        }

        [GeneratedRegex(@"^[\p{L}\p{N}@._+-]{3,200}$", RegexOptions.CultureInvariant)]
        private static partial Regex PersonPattern();

        [GeneratedRegex("^[a-z0-9][a-z0-9._-]{2,99}$", RegexOptions.CultureInvariant)]
        private static partial Regex ClientIdPattern();
    }

    private static async Task<Ok<List<ClientView>>> ListAsync(HttpContext http, GatewayDbContext db, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var clients = await db.Clients.AsNoTracking().Where(c => c.OrganisationId == caller.Organisation).OrderBy(c => c.ClientId).ToListAsync(cancellationToken);
        return TypedResults.Ok(clients.Select(View).ToList());
    }

    private static async Task<IResult> CreateAsync(HttpContext http, GatewayDbContext db, ClientApplications applications, AuditService audit, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (document, bodyProblem) = await JsonBody.ReadAsync(http.Request, maxDepth: 8, cancellationToken);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        var errors = new List<FieldError>();
        CreateClientRequest request;
        using (document)
        {
            request = Read(document!.RootElement, errors);
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The client is not valid.", errors.Select(e => new { field = e.Field, message = e.Message }));
        }

        var validation = new CreateClientValidator().Validate(request);
        if (!validation.IsValid)
        {
            return Problems.Validation("The client is not valid.", validation.Errors.Select(e => new { field = ToCamel(e.PropertyName), message = e.ErrorMessage }));
        }

        var caller = Caller.From(http.User);
        var creator = await ClientPersons.OfAsync(db, caller.Subject, cancellationToken);
        var clientId = request.ClientId ?? $"{caller.Organisation}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
        var keys = request.Jwks is { } jwks ? CreateClientValidator.PublicKeys(jwks) : null;
        var secret = keys is null ? SecretHasher.NewSecret() : null;
        var now = clock.GetUtcNow();
        var entity = new ClientEntity
        {
            ClientId = clientId,
            OrganisationId = caller.Organisation,
            Roles = string.Join(' ', request.Roles!.Distinct(StringComparer.Ordinal)),
            Description = request.Description,
            CreatedAt = now,
            SecretRotatedAt = now,
            Person = request.Person ?? creator,
            CreatedBy = creator,
        };

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Clients.AnyAsync(c => c.ClientId == clientId, cancellationToken))
        {
            return Problems.Create(StatusCodes.Status409Conflict, "client-exists", "Client existant / Client exists", $"A client '{clientId}' already exists.");
        }

        db.Clients.Add(entity);
        try
        {
            // Saves the client with its application (one DbContext), then the audit event, in one transaction.
            await applications.CreateAsync(entity, secret, keys, cancellationToken);
            await audit.AppendInTransactionAsync(AdminEvent(audit, "client.created", entity), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is DbUpdateException update && IsUniqueViolation(update) || ex is OpenIddict.Abstractions.OpenIddictExceptions.ValidationException)
        {
            // Another request created the same id between the check above and this insert (PostgreSQL, read committed).
            await transaction.RollbackAsync(CancellationToken.None);
            return Problems.Create(StatusCodes.Status409Conflict, "client-exists", "Client existant / Client exists", $"A client '{clientId}' already exists.");
        }

        return TypedResults.Created($"/api/v1/admin/clients/{clientId}", new ClientWithSecret(View(entity), secret));
    }

    /// <summary>
    /// 200 with the client; 404; 409 <c>client-confirmed</c> (nothing to confirm: seeded, already confirmed, or acting
    /// for its creator); 403 <c>same-person</c> when the caller is the person who created it or the person it names.
    /// </summary>
    private static async Task<IResult> ConfirmAsync(string clientId, HttpContext http, GatewayDbContext db, AuditService audit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var confirmer = await ClientPersons.OfAsync(db, caller.Subject, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var entity = await db.Clients.FirstOrDefaultAsync(c => c.ClientId == clientId && c.OrganisationId == caller.Organisation, cancellationToken);
        if (entity is null)
        {
            return Problems.NotFound($"Client '{SafeText.Printable(clientId)}'");
        }

        if (entity.CreatedBy is null || entity.ConfirmedBy is not null || string.Equals(entity.Person, entity.CreatedBy, StringComparison.Ordinal))
        {
            return Problems.Create(StatusCodes.Status409Conflict, "client-confirmed", "Rien à confirmer / Nothing to confirm", $"Client '{clientId}' already counts as '{ClientPersons.Of(entity)}'.");
        }

        if (string.Equals(confirmer, entity.CreatedBy, StringComparison.Ordinal) || string.Equals(confirmer, entity.Person, StringComparison.Ordinal))
        {
            await audit.RecordAsync(AdminEvent(audit, "client.confirm-refused", entity, "denied"), cancellationToken);
            return Problems.Create(
                StatusCodes.Status403Forbidden,
                "same-person",
                "Une autre personne doit confirmer / Another person must confirm",
                "The person who created a client, or the person it names, cannot confirm it: another admin or DPO of the organisation must.");
        }

        entity.ConfirmedBy = confirmer;
        await audit.AppendInTransactionAsync(AdminEvent(audit, "client.confirmed", entity), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(View(entity));
    }

    private static CreateClientRequest Read(System.Text.Json.JsonElement root, List<FieldError> errors)
    {
        if (!Queries.RequestReader.IsObject(root, string.Empty, errors))
        {
            return new CreateClientRequest(null, null, null, null, null);
        }

        Queries.RequestReader.CheckMembers(root, string.Empty, ["clientId", "roles", "description", "person", "jwks"], errors);
        System.Text.Json.JsonElement? jwks = null;
        if (root.TryGetProperty("jwks", out var keys))
        {
            if (keys.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                jwks = keys.Clone(); // The document is disposed once read.
            }
            else
            {
                errors.Add(new FieldError("jwks", "jwks must be a JSON Web Key Set (an object with 'keys')."));
            }
        }

        return new CreateClientRequest(
            Queries.RequestReader.String(root, "clientId", string.Empty, errors),
            Queries.RequestReader.Strings(root, "roles", string.Empty, errors),
            Queries.RequestReader.String(root, "description", string.Empty, errors),
            Queries.RequestReader.String(root, "person", string.Empty, errors),
            jwks);
    }

    private static async Task<Results<Ok<ClientView>, ProblemHttpResult>> SetDisabledAsync(
        string clientId, bool disabled, HttpContext http, GatewayDbContext db, AuditService audit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var entity = await db.Clients.FirstOrDefaultAsync(c => c.ClientId == clientId && c.OrganisationId == caller.Organisation, cancellationToken);
        if (entity is null)
        {
            return Problems.NotFound($"Client '{SafeText.Printable(clientId)}'");
        }

        entity.Disabled = disabled;
        await audit.AppendInTransactionAsync(AdminEvent(audit, disabled ? "client.disabled" : "client.enabled", entity), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(View(entity));
    }

    private static async Task<Results<Ok<ClientWithSecret>, ProblemHttpResult>> RotateSecretAsync(
        string clientId, HttpContext http, GatewayDbContext db, ClientApplications applications, AuditService audit, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var entity = await db.Clients.FirstOrDefaultAsync(c => c.ClientId == clientId && c.OrganisationId == caller.Organisation, cancellationToken);
        if (entity is null)
        {
            return Problems.NotFound($"Client '{SafeText.Printable(clientId)}'");
        }

        var secret = SecretHasher.NewSecret();
        entity.SecretRotatedAt = clock.GetUtcNow();
        await applications.RotateSecretAsync(clientId, secret, cancellationToken);
        await audit.AppendInTransactionAsync(AdminEvent(audit, "client.secret-rotated", entity), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(new ClientWithSecret(View(entity), secret));
    }

    private static DataClauses.Audit.AuditEvent AdminEvent(AuditService audit, string action, ClientEntity client, string outcome = "success") => audit.Create(action, outcome) with
    {
        Details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["clientId"] = client.ClientId,
            ["clientOrganisation"] = client.OrganisationId,
            ["roles"] = client.Roles,
            ["person"] = client.Person ?? client.ClientId,
            ["createdBy"] = client.CreatedBy ?? "seed",
            ["actsFor"] = ClientPersons.Of(client),
        },
    };

    private static bool IsUniqueViolation(DbUpdateException ex) => ex.InnerException switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        _ => false,
    };

    private static ClientView View(ClientEntity c) =>
        new(c.ClientId, c.OrganisationId, c.Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries), c.Description, c.Disabled, c.CreatedAt, c.SecretRotatedAt,
            c.Person, c.CreatedBy, c.ConfirmedBy, ClientPersons.Of(c));

    private static string ToCamel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
