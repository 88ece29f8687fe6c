namespace DataClauses.Gateway.Demo;

/// <summary>
/// The demo's clients and users: one per organisation and role, with well-known secrets that are printed at start
/// and listed in README.md. They exist only when <c>DataClauses:SeedDemo</c> is true (never in production).
/// </summary>
internal static class DemoAccounts
{
    public static readonly IReadOnlyList<(string Organisation, string Role)> All =
    [
        ("epci-demo", "analyst"),
        ("epci-demo", "dpo"),
        ("epci-demo", "admin"),
        ("etat-prefecture", "analyst"),
        ("etat-prefecture", "dpo"),
        ("caf-44", "publisher"),
        ("caf-44", "steward"),
        ("caf-44", "dpo"),
        ("caf-44", "admin"),
        ("ft-pdl", "publisher"),
        ("ft-pdl", "steward"),
        ("ft-pdl", "dpo"),
        ("bailleur-atlantique", "publisher"),
        ("bailleur-atlantique", "steward"),
        ("bailleur-atlantique", "steward2"),
        ("bailleur-atlantique", "dpo"),
    ];

    public static string ClientId(string organisation, string role) => $"{organisation}-{role}";

    public static string Secret(string organisation, string role) => $"demo-secret-{organisation}-{role}";

    public static string UserName(string organisation, string role) => $"{role}@{organisation}";

    public static string Password(string organisation, string role) => $"Demo-{organisation}-{role}!";

    /// <summary>The role a demo account holds ("steward2" is a second steward, for four-eyes approval).</summary>
    public static string RoleOf(string role) => role == "steward2" ? "steward" : role;
}
