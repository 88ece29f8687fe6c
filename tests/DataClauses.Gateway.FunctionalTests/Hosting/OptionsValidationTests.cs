using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.FunctionalTests.Hosting;

/// <summary>Options are validated at start and every misconfiguration is reported at once, in one exception.</summary>
public sealed class OptionsValidationTests
{
    [Fact]
    public async Task Start_with_several_misconfigurations_fails_with_one_exception_listing_every_problem()
    {
        await using var app = GatewayHost.Build(null, TestClock.StartingNow(), new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Storage:Provider"] = "Oracle",
            ["DataClauses:Identity:AccessTokenLifetime"] = "01:00:00",
            ["DataClauses:Identity:ExternalIssuers:0:Name"] = "keycloak",
            ["DataClauses:Identity:ExternalIssuers:0:Issuer"] = "https://keycloak.test/realms/dc",
            ["DataClauses:Identity:ExternalIssuers:0:Audience"] = "dataclauses",
            ["DataClauses:Identity:ExternalIssuers:0:Organisations:0"] = "caf-44",
        });

        var error = await Should.ThrowAsync<OptionsValidationException>(() => GatewayApp.InitialiseAsync(app));

        error.Failures.Count().ShouldBe(3, string.Join(Environment.NewLine, error.Failures));
        error.Message.ShouldContain("DataClauses:Storage:Provider must be 'Sqlite' or 'PostgreSQL', not 'Oracle'");
        error.Message.ShouldContain("DataClauses:Identity:AccessTokenLifetime must be between 00:05:00 and 00:15:00");
        error.Message.ShouldContain("DataClauses:Identity:ExternalIssuers:0: set exactly one of Authority or JwksUrl");
    }

    [Theory]
    [InlineData("DataClauses:Federation:AssertionLifetime", "00:01:01")]
    [InlineData("DataClauses:Federation:AssertionLifetime", "00:00:00")]
    [InlineData("DataClauses:Federation:PeerTimeout", "-00:00:01")]
    public async Task Federation_lifetimes_out_of_bounds_are_reported_at_start(string key, string value)
    {
        await using var app = GatewayHost.Build(null, TestClock.StartingNow(), new Dictionary<string, string?>(StringComparer.Ordinal) { [key] = value });

        var error = await Should.ThrowAsync<OptionsValidationException>(() => GatewayApp.InitialiseAsync(app));

        error.Failures.ShouldBe(["DataClauses:Federation: AssertionLifetime must be between 0 and 60 s (peers refuse longer ones); PeerTimeout, PeerKeysLifetime and CatalogRefreshInterval positive."]);
    }

    [Fact]
    public async Task Sign_in_providers_misconfigured_are_reported_at_start_in_the_configuration_s_words()
    {
        await using var app = GatewayHost.Build(null, TestClock.StartingNow(), new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Identity:SessionRevalidationInterval"] = "09:00:00",
            ["DataClauses:Identity:SignInProviders:0:Name"] = "proconnect",
            ["DataClauses:Identity:SignInProviders:0:DisplayName"] = "ProConnect",
            ["DataClauses:Identity:SignInProviders:0:Authority"] = "http://proconnect.test",
            ["DataClauses:Identity:SignInProviders:0:ClientId"] = "dc",
            ["DataClauses:Identity:SignInProviders:0:Organisation"] = "CAF 44",
            ["DataClauses:Identity:SignInProviders:0:DefaultRoles:0"] = "admin",
            ["DataClauses:Identity:SignInProviders:0:AllowedRoles:0"] = "analyst",
            ["DataClauses:Identity:SignInProviders:0:AllowedRoles:1"] = "superuser",
            ["DataClauses:Identity:SignInProviders:1:Name"] = "proconnect",
            ["DataClauses:Identity:SignInProviders:1:Authority"] = "https://keycloak.test/realms/dc",
            ["DataClauses:Identity:SignInProviders:1:ClientId"] = "dc",
            ["DataClauses:Identity:SignInProviders:1:Organisation"] = "caf-44",
        });

        var error = await Should.ThrowAsync<OptionsValidationException>(() => GatewayApp.InitialiseAsync(app));

        error.Failures.ShouldBe(
        [
            "DataClauses:Identity:SessionRevalidationInterval must be between 00:00:00 (every request) and 08:00:00 (the session's lifetime), not 09:00:00.",
            "DataClauses:Identity:SignInProviders:0:Authority must be https (or set RequireHttpsMetadata to false, for tests only).",
            "DataClauses:Identity:SignInProviders:0:Organisation is required: the one organisation id (lowercase, such as caf-44) this provider speaks for, not 'CAF 44'.",
            "DataClauses:Identity:SignInProviders:0: unknown role 'superuser' in AllowedRoles or DefaultRoles (roles: publisher, analyst, steward, dpo, admin).",
            "DataClauses:Identity:SignInProviders:0:DefaultRoles gives 'admin', which AllowedRoles does not allow.",
            "DataClauses:Identity:SignInProviders:1:Name 'proconnect' is already used (names are unique).",
            "DataClauses:Identity:SignInProviders:1:DisplayName is required (the button reads 'Se connecter avec {DisplayName}').",
            "DataClauses:Identity:SignInProviders:1: set RolesClaim or DefaultRoles, or every person of 'proconnect' would be refused.",
        ], ignoreOrder: true);
    }

    [Fact]
    public async Task PostgreSQL_provider_without_a_connection_string_fails_at_start_with_every_other_problem()
    {
        await using var app = GatewayHost.Build(null, TestClock.StartingNow(), new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Storage:Provider"] = "PostgreSQL",
            ["DataClauses:NodeId"] = "",
            ["DataClauses:Limits:TokenRequestsPerMinute"] = "0",
            ["DataClauses:Identity:SigningKeyLifetime"] = "00:10:00",
        });

        var error = await Should.ThrowAsync<OptionsValidationException>(() => GatewayApp.InitialiseAsync(app));

        error.Failures.Count().ShouldBe(4, string.Join(Environment.NewLine, error.Failures));
        error.Message.ShouldContain("DataClauses:Storage:ConnectionString is required with the PostgreSQL provider");
        error.Message.ShouldContain("DataClauses:NodeId is required");
        error.Message.ShouldContain("DataClauses:Limits rates must be positive");
        error.Message.ShouldContain("DataClauses:Identity:SigningKeyLifetime must be at least one hour");
    }

    [Fact]
    public async Task External_issuer_names_that_clash_are_reported_at_start_with_the_other_problems()
    {
        await using var app = GatewayHost.Build(null, TestClock.StartingNow(), new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Identity:ExternalIssuers:0:Name"] = "builtin",
            ["DataClauses:Identity:ExternalIssuers:0:Issuer"] = "https://a.test",
            ["DataClauses:Identity:ExternalIssuers:0:JwksUrl"] = "https://a.test/jwks",
            ["DataClauses:Identity:ExternalIssuers:0:Audience"] = "dc",
            ["DataClauses:Identity:ExternalIssuers:0:Organisations:0"] = "caf-44",
            ["DataClauses:Identity:ExternalIssuers:1:Name"] = "partners",
            ["DataClauses:Identity:ExternalIssuers:1:Issuer"] = "https://b.test",
            ["DataClauses:Identity:ExternalIssuers:1:JwksUrl"] = "https://b.test/jwks",
            ["DataClauses:Identity:ExternalIssuers:1:Audience"] = "dc",
            ["DataClauses:Identity:ExternalIssuers:1:Organisations:0"] = "caf-44",
            ["DataClauses:Identity:ExternalIssuers:2:Name"] = "partners",
            ["DataClauses:Identity:ExternalIssuers:2:Issuer"] = GatewayHost.Issuer,
            ["DataClauses:Identity:ExternalIssuers:2:Authority"] = "https://c.test",
            ["DataClauses:Identity:ExternalIssuers:2:Audience"] = "dc",
            ["DataClauses:Identity:ExternalIssuers:2:Organisations:0"] = "caf-44",
        });

        var error = await Should.ThrowAsync<OptionsValidationException>(() => GatewayApp.InitialiseAsync(app));

        error.Failures.Count().ShouldBe(3, string.Join(Environment.NewLine, error.Failures));
        error.Message.ShouldContain("DataClauses:Identity:ExternalIssuers:0:Name 'builtin' is already used");
        error.Message.ShouldContain("DataClauses:Identity:ExternalIssuers:2:Name 'partners' is already used");
        error.Message.ShouldContain("DataClauses:Identity:ExternalIssuers:2:Issuer must differ from the built-in issuer");
    }

    [Fact]
    public async Task External_issuer_without_organisations_is_a_start_up_error_naming_the_setting()
    {
        await using var app = GatewayHost.Build(null, TestClock.StartingNow(), new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataClauses:Identity:ExternalIssuers:0:Name"] = "keycloak",
            ["DataClauses:Identity:ExternalIssuers:0:Issuer"] = "https://keycloak.test/realms/dc",
            ["DataClauses:Identity:ExternalIssuers:0:Authority"] = "https://keycloak.test/realms/dc",
            ["DataClauses:Identity:ExternalIssuers:0:Audience"] = "dataclauses",
            ["DataClauses:Identity:ExternalIssuers:0:RefreshInterval"] = "00:00:00.5",
        });

        var error = await Should.ThrowAsync<OptionsValidationException>(() => GatewayApp.InitialiseAsync(app));

        error.Failures.Count().ShouldBe(2, string.Join(Environment.NewLine, error.Failures));
        error.Message.ShouldContain("DataClauses:Identity:ExternalIssuers:0:Organisations is required: list the organisations issuer 'keycloak' may speak for");
        error.Message.ShouldContain("DataClauses:Identity:ExternalIssuers:0:RefreshInterval must be at least 00:00:01");
    }

    [Fact]
    public async Task Start_with_a_valid_configuration_passes_the_same_validation()
    {
        // The control: the defaults used above, without the misconfigurations, start.
        await using var host = await GatewayHost.StartAsync(StorageProvider.Sqlite);

        host.BaseAddress.Host.ShouldBe("127.0.0.1");
    }
}
