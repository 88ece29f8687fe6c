using System.Security.Claims;
using DataClauses.Audit;
using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Identity;

/// <summary>The outcome of a sign-in attempt; the page says the same thing for an unknown account and a wrong password.</summary>
internal enum PeopleSignInStatus
{
    SignedIn,
    Refused,
    LockedOut,
}

/// <summary>A sign-in outcome; <see cref="Principal"/> is set only when the person signed in.</summary>
internal sealed record PeopleSignInResult(PeopleSignInStatus Status, ClaimsPrincipal? Principal);

/// <summary>Audit actions of people signing in and out.</summary>
internal static class PeopleAuditActions
{
    public const string SignedIn = "person.signed-in";
    public const string SignInFailed = "person.sign-in-failed";
    public const string LockedOut = "person.locked-out";
    public const string SignedOut = "person.signed-out";
    public const string TokenRefused = "person.token-refused";
    public const string SessionEnded = "person.session-ended";
}

/// <summary>
/// Local accounts: checks a person's password (PBKDF2, ASP.NET Core Identity's hasher, as the seeding stores it), locks
/// the account after <see cref="AccountLockoutOptions.MaxFailedAttempts"/> consecutive failures for
/// <see cref="AccountLockoutOptions.Duration"/>, and audits every attempt. An unknown account costs the same hash and gets the
/// same answer as a wrong password, and is locked out the same way (in this replica's memory), so that neither timing,
/// message nor lockout tells whether an account exists.
/// </summary>
internal sealed partial class PeopleSignIn(
    GatewayDbContext db,
    AuditService audit,
    UnknownAccountAttempts unknownAccounts,
    TimeProvider clock,
    IOptions<GatewayOptions> options,
    IHttpContextAccessor http,
    ILogger<PeopleSignIn> logger)
{
    /// <summary>Longest user name looked up (longer ones are unknown without a query).</summary>
    public const int MaxUserNameLength = 200;

    /// <summary>Longest password hashed (PBKDF2 on a megabyte would be a cheap denial of service).</summary>
    public const int MaxPasswordLength = 256;

    private static readonly PasswordHasher<UserEntity> Hasher = new();

    private static readonly UserEntity Decoy = new() { UserName = string.Empty, OrganisationId = string.Empty, Roles = string.Empty, DisplayName = string.Empty, PasswordHash = string.Empty };

    // A real hash of a random password: an unknown account is verified against it, so that it costs the same time.
    private static readonly Lazy<string> DecoyHash = new(() => Hasher.HashPassword(Decoy, SecretHasher.NewSecret()));

    private AccountLockoutOptions Lockout => options.Value.Identity.Lockout;

    /// <summary>Checks a user name and password; on success the person's principal (for the cookie).</summary>
    public async Task<PeopleSignInResult> SignInAsync(string? userName, string? password, string authenticationType, CancellationToken cancellationToken)
    {
        var name = (userName ?? string.Empty).Trim();
        password ??= string.Empty;
        if (password.Length > MaxPasswordLength)
        {
            password = password[..MaxPasswordLength];
        }

        var now = clock.GetUtcNow();
        var user = name.Length is > 0 and <= MaxUserNameLength
            ? await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == name, cancellationToken)
            : null;

        if (user is null)
        {
            _ = Hasher.VerifyHashedPassword(Decoy, DecoyHash.Value, password);
            var locked = unknownAccounts.Fail(name, now, Lockout);
            await RecordAsync(PeopleAuditActions.SignInFailed, "failure", null, locked ? "unknown account (locked)" : "unknown account", cancellationToken);
            return new(locked ? PeopleSignInStatus.LockedOut : PeopleSignInStatus.Refused, null);
        }

        // A locked account is still hashed: the answer takes the same time whether the password was right or not.
        var verified = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (user.LockoutEnd is { } end && end > now)
        {
            await RecordAsync(PeopleAuditActions.SignInFailed, "denied", user, "account locked", cancellationToken);
            return new(PeopleSignInStatus.LockedOut, null);
        }

        if (verified == PasswordVerificationResult.Failed)
        {
            return await FailAsync(user, now, cancellationToken);
        }

        await db.Users.Where(u => u.UserName == user.UserName)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.FailedAttempts, 0).SetProperty(u => u.LockoutEnd, (DateTimeOffset?)null), cancellationToken);
        if (verified == PasswordVerificationResult.SuccessRehashNeeded)
        {
            var rehashed = Hasher.HashPassword(user, password);
            await db.Users.Where(u => u.UserName == user.UserName).ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, rehashed), cancellationToken);
        }

        await RecordAsync(PeopleAuditActions.SignedIn, "success", user, null, cancellationToken);
        LogSignedIn(logger, user.UserName, user.OrganisationId);
        return new(PeopleSignInStatus.SignedIn, PrincipalOf(user, authenticationType));
    }

    /// <summary>The person behind a session or a refresh token, if the account still exists and is not locked now.</summary>
    public async Task<UserEntity?> FindActiveAsync(string? userName, CancellationToken cancellationToken)
    {
        if (userName is not { Length: > 0 and <= MaxUserNameLength })
        {
            return null;
        }

        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == userName, cancellationToken);
        return user is null || user.LockoutEnd > clock.GetUtcNow() ? null : user;
    }

    /// <summary>Audits a sign-out of the person in this principal.</summary>
    public Task RecordSignOutAsync(ClaimsPrincipal person, CancellationToken cancellationToken)
    {
        var caller = Caller.From(person);
        var auditEvent = audit.Create(PeopleAuditActions.SignedOut, "success") with
        {
            Actor = new AuditActor(caller.Subject, caller.Organisation, caller.Roles, null, http.HttpContext?.Connection.RemoteIpAddress?.ToString()),
        };
        return audit.RecordAsync(auditEvent, cancellationToken);
    }

    /// <summary>Audits a session ended by re-validation (account deleted or locked, or provider removed, since sign-in).</summary>
    public Task RecordSessionEndedAsync(ClaimsPrincipal person, CancellationToken cancellationToken)
    {
        var caller = Caller.From(person);
        var auditEvent = audit.Create(PeopleAuditActions.SessionEnded, "denied") with
        {
            Actor = new AuditActor(caller.Subject, caller.Organisation, caller.Roles, null, http.HttpContext?.Connection.RemoteIpAddress?.ToString()),
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["reason"] = "account unknown or locked, or provider removed" },
        };
        return audit.RecordAsync(auditEvent, cancellationToken);
    }

    /// <summary>Audits a refused token for a person (account gone or locked since the code or refresh token was issued).</summary>
    public Task RecordTokenRefusedAsync(string subject, string? clientId, CancellationToken cancellationToken)
    {
        var auditEvent = audit.Create(PeopleAuditActions.TokenRefused, "denied") with
        {
            Actor = new AuditActor(subject, null, [], clientId, http.HttpContext?.Connection.RemoteIpAddress?.ToString()),
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["reason"] = "account unknown or locked" },
        };
        return audit.RecordAsync(auditEvent, cancellationToken);
    }

    /// <summary>
    /// The claims a person carries, in a cookie or a token: the same names as a client's token (subject, organisation,
    /// roles; see <see cref="Caller"/>), read from the account as it is now.
    /// </summary>
    public static ClaimsPrincipal PrincipalOf(UserEntity user, string authenticationType) =>
        PrincipalOf(user.UserName, user.OrganisationId, user.DisplayName, user.Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries), authenticationType, provider: null);

    /// <summary>
    /// A person's claims, whichever way they signed in; <paramref name="provider"/> names the external sign-in provider
    /// (<see cref="SignInProviders.ProviderClaim"/>), null for a local account.
    /// </summary>
    public static ClaimsPrincipal PrincipalOf(string subject, string organisation, string name, IEnumerable<string> roles, string authenticationType, string? provider)
    {
        var identity = new ClaimsIdentity(authenticationType, ClaimNames.Subject, ClaimNames.Roles);
        identity.AddClaim(new Claim(ClaimNames.Subject, subject));
        identity.AddClaim(new Claim(ClaimNames.Organisation, organisation));
        identity.AddClaim(new Claim("name", name));
        foreach (var role in roles)
        {
            identity.AddClaim(new Claim(ClaimNames.Roles, role));
        }

        if (provider is not null)
        {
            identity.AddClaim(new Claim(SignInProviders.ProviderClaim, provider));
        }

        return new ClaimsPrincipal(identity);
    }

    private async Task<PeopleSignInResult> FailAsync(UserEntity user, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Counted in the database in one statement, so that concurrent guesses (or replicas) are all counted.
        var max = Lockout.MaxFailedAttempts;
        await db.Users.Where(u => u.UserName == user.UserName)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.FailedAttempts, u => u.FailedAttempts + 1), cancellationToken);
        var lockoutEnd = now + Lockout.Duration;
        var locked = await db.Users.Where(u => u.UserName == user.UserName && u.FailedAttempts >= max)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.FailedAttempts, 0).SetProperty(u => u.LockoutEnd, lockoutEnd), cancellationToken) > 0;
        await RecordAsync(PeopleAuditActions.SignInFailed, "failure", user, "wrong password", cancellationToken);
        if (!locked)
        {
            return new(PeopleSignInStatus.Refused, null);
        }

        var auditEvent = CreateEvent(PeopleAuditActions.LockedOut, "denied", user) with
        {
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["failedAttempts"] = max.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["lockoutEnd"] = AuditCanonicalForm.FormatInstant(lockoutEnd),
            },
        };
        await audit.RecordAsync(auditEvent, cancellationToken);
        LogLockedOut(logger, user.UserName, lockoutEnd);
        return new(PeopleSignInStatus.LockedOut, null);
    }

    private Task RecordAsync(string action, string outcome, UserEntity? user, string? reason, CancellationToken cancellationToken)
    {
        var auditEvent = CreateEvent(action, outcome, user);
        if (reason is not null)
        {
            auditEvent = auditEvent with { Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["reason"] = reason } };
        }

        return audit.RecordAsync(auditEvent, cancellationToken);
    }

    // An unknown account is audited as "unknown", never with the typed name: people type passwords in that field.
    private AuditEvent CreateEvent(string action, string outcome, UserEntity? user) => audit.Create(action, outcome) with
    {
        Actor = new AuditActor(
            user?.UserName ?? "unknown",
            user?.OrganisationId,
            user is null ? [] : user.Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            null,
            http.HttpContext?.Connection.RemoteIpAddress?.ToString()),
    };

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Person {UserName} of {Organisation} signed in")]
    private static partial void LogSignedIn(ILogger logger, string userName, string organisation);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Account {UserName} locked until {LockoutEnd} after failed sign-ins")]
    private static partial void LogLockedOut(ILogger logger, string userName, DateTimeOffset lockoutEnd);
}

/// <summary>
/// Failed sign-ins for account names that do not exist, so that they lock like real ones (otherwise "compte verrouillé"
/// would tell an attacker which names exist). Kept in memory, bounded, per replica: it hides existence, it protects
/// nothing else.
/// </summary>
internal sealed class UnknownAccountAttempts : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    /// <summary>Counts a failure; true when the name is now (or still) locked.</summary>
    public bool Fail(string name, DateTimeOffset now, AccountLockoutOptions lockout)
    {
        var key = name.ToUpperInvariant();
        var state = _cache.Get<State>(key) ?? new State();
        lock (state)
        {
            if (state.LockedUntil is { } until && until > now)
            {
                return true;
            }

            state.Failures++;
            if (state.Failures >= lockout.MaxFailedAttempts)
            {
                state.Failures = 0;
                state.LockedUntil = now + lockout.Duration;
            }

            _cache.Set(key, state, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = lockout.Duration + TimeSpan.FromHours(1) });
            return state.LockedUntil is { } locked && locked > now;
        }
    }

    public void Dispose() => _cache.Dispose();

    private sealed class State
    {
        public int Failures { get; set; }

        public DateTimeOffset? LockedUntil { get; set; }
    }
}

/// <summary>Rules for a password a person sets (checked wherever one is set, the demo seeding included).</summary>
internal static class PasswordRules
{
    public const int MinLength = 12;

    /// <summary>What is wrong with this password, in French (empty when it is acceptable).</summary>
    public static IReadOnlyList<string> Check(string password, string userName)
    {
        var problems = new List<string>();
        if (password.Length < MinLength)
        {
            problems.Add($"Le mot de passe doit compter au moins {MinLength} caractères.");
        }

        if (password.Length > PeopleSignIn.MaxPasswordLength)
        {
            problems.Add($"Le mot de passe doit compter au plus {PeopleSignIn.MaxPasswordLength} caractères.");
        }

        var classes = new[] { password.Any(char.IsLower), password.Any(char.IsUpper), password.Any(char.IsDigit), password.Any(c => !char.IsLetterOrDigit(c)) }.Count(b => b);
        if (classes < 3)
        {
            problems.Add("Le mot de passe doit mêler au moins trois sortes de caractères parmi minuscules, majuscules, chiffres et symboles.");
        }

        if (userName.Length > 0 && password.Contains(userName, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add("Le mot de passe ne doit pas contenir l'identifiant.");
        }

        return problems;
    }
}
