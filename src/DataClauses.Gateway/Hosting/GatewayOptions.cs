using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Hosting;

/// <summary>The gateway's configuration (section <c>DataClauses</c>).</summary>
public sealed class GatewayOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "DataClauses";

    /// <summary>The signatory running this node (its id in the contract).</summary>
    public string NodeId { get; set; } = "epci-demo";

    /// <summary>Directory of contract files; relative paths are resolved against the content root, then the binary's folder.</summary>
    public string PoliciesPath { get; set; } = "policies";

    /// <summary>Seed demo clients, users and synthetic datasets on first start.</summary>
    public bool SeedDemo { get; set; } = true;

    /// <summary>With <see cref="SeedDemo"/>, also publish the synthetic demo datasets (tests that need no data turn it off).</summary>
    public bool SeedDemoDatasets { get; set; } = true;

    /// <summary>
    /// The origin clients reach this node at (<c>https://data.example.org</c>): every absolute URL the gateway writes
    /// starts with it, and it is the built-in issuer unless <c>Identity:Issuer</c> is set. Unset (the demo): the address
    /// Kestrel listens on. Never taken from the Host header.
    /// </summary>
    public string? PublicOrigin { get; set; }

    /// <summary>
    /// Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For and X-Forwarded-Proto are believed, so that
    /// the audit and the rate limits see the client's address; from anyone else these headers are ignored.
    /// </summary>
    public IList<string> KnownProxies { get; set; } = [];

    /// <summary>Storage settings.</summary>
    public StorageOptions Storage { get; set; } = new();

    /// <summary>Identity settings.</summary>
    public IdentityOptions Identity { get; set; } = new();

    /// <summary>Limits.</summary>
    public LimitsOptions Limits { get; set; } = new();

    /// <summary>Audit log settings (checkpoints, retention, the DPO report's alerts).</summary>
    public AuditOptions Audit { get; set; } = new();

    /// <summary>Federation with the other signatories' nodes (off: this node holds every dataset).</summary>
    public FederationOptions Federation { get; set; } = new();
}

/// <summary>The audit log: how often its head is signed, how long it is kept, what the DPO report flags.</summary>
public sealed class AuditOptions
{
    /// <summary>How long audit events are kept, as an ISO 8601 duration (default five years); older ones are purged below a signed anchor.</summary>
    public string Retention { get; set; } = "P5Y";

    /// <summary>How often the chain head is signed when it moved (default hourly); also how often the retention purge runs.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Thresholds of the alerts listed in the DPO report.</summary>
    public AuditAlertOptions Alerts { get; set; } = new();
}

/// <summary>When the DPO report raises an alert.</summary>
public sealed class AuditAlertOptions
{
    /// <summary>Denials of one actor within <see cref="DenialBurstWindow"/> that make a burst.</summary>
    public int DenialBurstCount { get; set; } = 5;

    /// <summary>The window of a burst of denials.</summary>
    public TimeSpan DenialBurstWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Distinct slices (dimensions and filters) of one dataset queried by one actor within <see cref="SliceBurstWindow"/> that raise an alert.</summary>
    public int SliceBurstCount { get; set; } = 20;

    /// <summary>The window of many slices.</summary>
    public TimeSpan SliceBurstWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Start of working hours (downloads before it are flagged).</summary>
    public TimeSpan WorkingHoursStart { get; set; } = TimeSpan.FromHours(8);

    /// <summary>End of working hours (downloads from it are flagged).</summary>
    public TimeSpan WorkingHoursEnd { get; set; } = TimeSpan.FromHours(19);

    /// <summary>The time zone of working hours (IANA id).</summary>
    public string TimeZone { get; set; } = "Europe/Paris";
}

/// <summary>Where metadata and dataset rows are stored.</summary>
public sealed class StorageOptions
{
    /// <summary><c>Sqlite</c> (embedded default) or <c>PostgreSQL</c>.</summary>
    public string Provider { get; set; } = StorageProviders.Sqlite;

    /// <summary>Connection string; for SQLite it defaults to <c>data/dataclauses.db</c> under the content root.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Folder for the SQLite file and other local state, relative to the content root.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Run pending migrations at start (otherwise run <c>--migrate</c> as the owner; a start with pending migrations then fails).</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// PostgreSQL: the least-privilege role the gateway runs as; <c>--migrate</c> grants it what it needs and nothing
    /// more (no UPDATE, DELETE or TRUNCATE on the audit tables). Unset: no grants.
    /// </summary>
    public string? RuntimeRole { get; set; }

    /// <summary>
    /// A PKCS#12 file (certificate with its RSA private key) that encrypts the Data Protection key ring stored in the
    /// database; recommended in production (without it the key ring is stored in clear).
    /// </summary>
    public string? KeyEncryptionCertificate { get; set; }

    /// <summary>The password of <see cref="KeyEncryptionCertificate"/> (from a secret store or the environment; never logged).</summary>
    public string? KeyEncryptionCertificatePassword { get; set; }
}

/// <summary>Provider names.</summary>
public static class StorageProviders
{
    /// <summary>Embedded SQLite.</summary>
    public const string Sqlite = "Sqlite";

    /// <summary>PostgreSQL through Npgsql.</summary>
    public const string PostgreSql = "PostgreSQL";
}

/// <summary>Token issuing and validation.</summary>
public sealed class IdentityOptions
{
    /// <summary>
    /// The built-in issuer's identifier (<c>iss</c>, an absolute URI). Unset, it is the public origin
    /// (<see cref="GatewayOptions.PublicOrigin"/>), itself derived from the listening address when unset — never from
    /// the Host header; set it so that every replica and every host name issues the same.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>The audience access tokens are issued for and checked against.</summary>
    public string Audience { get; set; } = "dataclauses-api";

    /// <summary>Access token lifetime (RFC 9068 tokens: 5 to 15 minutes).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a signing key signs before the next one takes over.</summary>
    public TimeSpan SigningKeyLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Allowed clock skew when validating tokens.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Issuers trusted besides the built-in one (Keycloak, ProConnect, Duende…).</summary>
    public IList<ExternalIssuerOptions> ExternalIssuers { get; set; } = [];

    /// <summary>Lockout of local accounts after failed sign-ins (<c>DataClauses:Identity:Lockout</c>).</summary>
    public AccountLockoutOptions Lockout { get; set; } = new();

    /// <summary>External OpenID Connect providers people may sign in with on the pages (ProConnect, Keycloak…), one organisation each.</summary>
    public IList<SignInProviderOptions> SignInProviders { get; set; } = [];

    /// <summary>
    /// How often a people session cookie is checked against the account (deleted or locked since: signed out; roles
    /// changed: the cookie carries the new ones). Between two checks the cookie is trusted as it is.
    /// </summary>
    public TimeSpan SessionRevalidationInterval { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>An external OpenID Connect provider people sign in with (authorization code + PKCE), speaking for one organisation.</summary>
public sealed class SignInProviderOptions
{
    /// <summary>Short name (lowercase letters, digits, dashes): scheme <c>oidc-{Name}</c>, callback <c>/signin-oidc-{Name}</c>.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The name on the button ("Se connecter avec {DisplayName}").</summary>
    public string DisplayName { get; set; } = string.Empty;

    /// <summary>The provider's issuer (discovery at <c>{Authority}/.well-known/openid-configuration</c>).</summary>
    public string Authority { get; set; } = string.Empty;

    /// <summary>The gateway's client id at the provider.</summary>
    public string ClientId { get; set; } = string.Empty;

    /// <summary>The client secret, for a confidential client (unset: a public client, PKCE only).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The one organisation every person of this provider belongs to.</summary>
    public string Organisation { get; set; } = string.Empty;

    /// <summary>Scopes asked for (unset: <c>openid profile</c>).</summary>
    public IList<string> Scopes { get; set; } = [];

    /// <summary>The id_token claim with the person's display name.</summary>
    public string NameClaim { get; set; } = "name";

    /// <summary>The id_token claim carrying roles (an array or a space-separated string); unset: only <see cref="DefaultRoles"/>.</summary>
    public string? RolesClaim { get; set; }

    /// <summary>Roles every person of this provider gets.</summary>
    public IList<string> DefaultRoles { get; set; } = [];

    /// <summary>
    /// The roles a person of this provider may hold here (others are dropped; unset: every role but <c>admin</c>). A
    /// person left with no role is refused.
    /// </summary>
    public IList<string> AllowedRoles { get; set; } = [];

    /// <summary>Whether HTTPS is required for the provider's metadata (true outside tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}

/// <summary>How many failed sign-ins lock a local account, and for how long.</summary>
public sealed class AccountLockoutOptions
{
    /// <summary>Consecutive failed sign-ins that lock the account.</summary>
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>How long the account stays locked.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>An external issuer whose tokens the gateway accepts.</summary>
public sealed class ExternalIssuerOptions
{
    /// <summary>Scheme name (letters, digits, dashes).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The issuer's <c>iss</c> value.</summary>
    public string Issuer { get; set; } = string.Empty;

    /// <summary>OpenID Connect authority (discovery at <c>/.well-known/openid-configuration</c>); or set <see cref="JwksUrl"/>.</summary>
    public string? Authority { get; set; }

    /// <summary>JWKS URL, when the issuer has no discovery document.</summary>
    public string? JwksUrl { get; set; }

    /// <summary>Expected audience.</summary>
    public string Audience { get; set; } = string.Empty;

    /// <summary>Claim carrying the organisation id.</summary>
    public string OrganisationClaim { get; set; } = "org";

    /// <summary>Claim carrying the roles (an array or a space-separated string).</summary>
    public string RolesClaim { get; set; } = "roles";

    /// <summary>Whether HTTPS is required for metadata (true outside tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// The organisations this issuer may speak for (required, at least one): a token of this issuer claiming another
    /// organisation, or none, is refused (401, audited).
    /// </summary>
    public IList<string> Organisations { get; set; } = [];

    /// <summary>
    /// Least time between two metadata refreshes asked for by a token with an unknown key id: however many such tokens
    /// arrive, the issuer is asked at most once per interval (at least one second).
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the metadata (discovery document, keys) is refreshed in any case.</summary>
    public TimeSpan AutomaticRefreshInterval { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Timeout of one metadata request: an issuer that does not answer makes its tokens fail, not hang.</summary>
    public TimeSpan MetadataTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Sizes and rates.</summary>
public sealed class LimitsOptions
{
    /// <summary>Largest accepted upload, in bytes (default 2 GB).</summary>
    public long MaxUploadBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Token requests per client id and source address per minute.</summary>
    public int TokenRequestsPerMinute { get; set; } = 60;

    /// <summary>Token requests per source address per minute, whatever the client ids (default five times <see cref="TokenRequestsPerMinute"/>).</summary>
    public int? TokenRequestsPerMinutePerAddress { get; set; }

    /// <summary>API requests per caller per second (token bucket refill).</summary>
    public int ApiRequestsPerSecond { get; set; } = 500;
}

/// <summary>Checks the whole configuration at start and reports every problem at once.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        if (options.Federation.AssertionLifetime <= TimeSpan.Zero || options.Federation.AssertionLifetime > TimeSpan.FromSeconds(60)
            || options.Federation.PeerTimeout <= TimeSpan.Zero || options.Federation.PeerKeysLifetime <= TimeSpan.Zero || options.Federation.CatalogRefreshInterval <= TimeSpan.Zero)
        {
            errors.Add("DataClauses:Federation: AssertionLifetime must be between 0 and 60 s (peers refuse longer ones); PeerTimeout, PeerKeysLifetime and CatalogRefreshInterval positive.");
        }

        if (string.IsNullOrWhiteSpace(options.NodeId))
        {
            errors.Add("DataClauses:NodeId is required (the signatory id running this node).");
        }

        if (options.Storage.Provider is not (StorageProviders.Sqlite or StorageProviders.PostgreSql))
        {
            errors.Add($"DataClauses:Storage:Provider must be '{StorageProviders.Sqlite}' or '{StorageProviders.PostgreSql}', not '{options.Storage.Provider}'.");
        }

        if (options.Storage.Provider == StorageProviders.PostgreSql && string.IsNullOrWhiteSpace(options.Storage.ConnectionString))
        {
            errors.Add("DataClauses:Storage:ConnectionString is required with the PostgreSQL provider.");
        }

        if (options.Storage.RuntimeRole is { } role && !Storage.RuntimeRoleGrants.IsRoleName(role))
        {
            errors.Add($"DataClauses:Storage:RuntimeRole must be a plain PostgreSQL role name (letters, digits, _), not '{role}'.");
        }

        if (options.PublicOrigin is not null && !IsOrigin(options.PublicOrigin))
        {
            errors.Add($"DataClauses:PublicOrigin must be an absolute http(s) origin without path, query or fragment (https://data.example.org), not '{options.PublicOrigin}'.");
        }

        for (var i = 0; i < options.KnownProxies.Count; i++)
        {
            if (!ForwardedHeadersSetup.TryParseProxy(options.KnownProxies[i], out _, out _))
            {
                errors.Add($"DataClauses:KnownProxies:{i} must be an IP address or a CIDR network (10.0.0.0/8), not '{options.KnownProxies[i]}'.");
            }
        }

        var identity = options.Identity;
        if (identity.Issuer is { Length: > 0 } issuer
            && (!Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUri) || issuerUri.Scheme is not ("http" or "https") || issuerUri.Query.Length > 0 || issuerUri.Fragment.Length > 0))
        {
            errors.Add($"DataClauses:Identity:Issuer must be an absolute http(s) URI without query or fragment, not '{issuer}'.");
        }

        if (string.IsNullOrWhiteSpace(identity.Audience))
        {
            errors.Add("DataClauses:Identity:Audience is required.");
        }

        if (identity.Lockout.MaxFailedAttempts is < 1 or > 100 || identity.Lockout.Duration <= TimeSpan.Zero)
        {
            errors.Add($"DataClauses:Identity:Lockout needs MaxFailedAttempts between 1 and 100 and a positive Duration, not {identity.Lockout.MaxFailedAttempts} and {identity.Lockout.Duration}.");
        }

        if (identity.AccessTokenLifetime < TimeSpan.FromMinutes(5) || identity.AccessTokenLifetime > TimeSpan.FromMinutes(15))
        {
            errors.Add($"DataClauses:Identity:AccessTokenLifetime must be between 00:05:00 and 00:15:00 (RFC 9068 short-lived tokens), not {identity.AccessTokenLifetime}.");
        }

        if (identity.SigningKeyLifetime < TimeSpan.FromHours(1))
        {
            errors.Add("DataClauses:Identity:SigningKeyLifetime must be at least one hour.");
        }

        for (var i = 0; i < identity.ExternalIssuers.Count; i++)
        {
            var external = identity.ExternalIssuers[i];
            var prefix = $"DataClauses:Identity:ExternalIssuers:{i}";
            if (string.IsNullOrWhiteSpace(external.Name) || !external.Name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                errors.Add($"{prefix}:Name is required (letters, digits and dashes).");
            }
            else if (external.Name is Identity.AuthenticationSetup.Scheme or Identity.AuthenticationSetup.BuiltInScheme
                || identity.ExternalIssuers.Take(i).Any(e => string.Equals(e.Name, external.Name, StringComparison.Ordinal)))
            {
                // Each name becomes an authentication scheme: a duplicate would fail later, far from its cause.
                errors.Add($"{prefix}:Name '{external.Name}' is already used (names are unique; '{Identity.AuthenticationSetup.Scheme}' and '{Identity.AuthenticationSetup.BuiltInScheme}' are reserved).");
            }

            if (string.IsNullOrWhiteSpace(external.Issuer))
            {
                errors.Add($"{prefix}:Issuer is required.");
            }
            else if (identity.Issuer is { Length: > 0 } && Uri.IsWellFormedUriString(identity.Issuer, UriKind.Absolute) && Identity.AuthenticationSetup.IssuerForms(identity.Issuer).Contains(external.Issuer, StringComparer.Ordinal))
            {
                errors.Add($"{prefix}:Issuer must differ from the built-in issuer.");
            }

            if (string.IsNullOrWhiteSpace(external.Authority) == string.IsNullOrWhiteSpace(external.JwksUrl))
            {
                errors.Add($"{prefix}: set exactly one of Authority or JwksUrl.");
            }

            if (string.IsNullOrWhiteSpace(external.Audience))
            {
                errors.Add($"{prefix}:Audience is required.");
            }

            if (external.Organisations.Count == 0 || external.Organisations.Any(string.IsNullOrWhiteSpace))
            {
                // Without the list, the issuer could assert any organisation: refuse to start rather than trust it for all.
                errors.Add($"{prefix}:Organisations is required: list the organisations issuer '{external.Name}' may speak for ({prefix}:Organisations:0 = an organisation id).");
            }

            if (external.RefreshInterval < TimeSpan.FromSeconds(1))
            {
                errors.Add($"{prefix}:RefreshInterval must be at least 00:00:01.");
            }

            if (external.AutomaticRefreshInterval < TimeSpan.FromMinutes(5))
            {
                errors.Add($"{prefix}:AutomaticRefreshInterval must be at least 00:05:00.");
            }

            if (external.MetadataTimeout <= TimeSpan.Zero || external.MetadataTimeout > TimeSpan.FromMinutes(2))
            {
                errors.Add($"{prefix}:MetadataTimeout must be between 00:00:00 and 00:02:00 (exclusive of zero).");
            }
        }

        errors.AddRange(Identity.SignInProviders.Problems(identity));

        if (Storage.KeyRingCertificate.Problem(options.Storage) is { } certificateProblem)
        {
            errors.Add(certificateProblem);
        }

        if (options.Limits.MaxUploadBytes <= 0)
        {
            errors.Add("DataClauses:Limits:MaxUploadBytes must be positive.");
        }

        if (options.Limits.TokenRequestsPerMinute <= 0 || options.Limits.ApiRequestsPerSecond <= 0 || options.Limits.TokenRequestsPerMinutePerAddress <= 0)
        {
            errors.Add("DataClauses:Limits rates must be positive.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsOrigin(string text) =>
        Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https"
        && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0;
}
