namespace DataClauses.TestIssuer;

/// <summary>The test issuer's command-line settings.</summary>
internal sealed record TestIssuerSettings(
    string ClientId,
    string ClientSecret,
    string PortalClientId,
    IReadOnlyList<string> RedirectUris,
    string? Organisation,
    IReadOnlyList<string> Roles,
    string Audience,
    string PersonSubject,
    string PersonName,
    string PersonEmail)
{
    public static TestIssuerSettings From(IConfiguration configuration) => new(
        configuration["client-id"] ?? "test-client",
        configuration["client-secret"] ?? "test-secret",
        configuration["portal-client-id"] ?? "test-portal",
        Split(configuration["redirect-uris"]),
        configuration["organisation"],
        Split(configuration["roles"]),
        configuration["audience"] ?? "dataclauses-api",
        configuration["person-subject"] ?? "marie.dupont",
        configuration["person-name"] ?? "Marie Dupont",
        configuration["person-email"] ?? "marie.dupont@example.test");

    /// <summary>A registered redirect URI; with none registered, any loopback one (the tests' random ports).</summary>
    public bool AllowsRedirect(string? uri) =>
        uri is not null && (RedirectUris.Count > 0
            ? RedirectUris.Contains(uri, StringComparer.Ordinal)
            : Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.IsLoopback);

    private static string[] Split(string? value) => value?.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries) ?? [];
}
