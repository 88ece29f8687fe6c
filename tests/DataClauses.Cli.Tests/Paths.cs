using System.Reflection;

namespace DataClauses.Cli.Tests;

/// <summary>Where the repository's policies live (the root is stamped into the test assembly at build time).</summary>
internal static class Paths
{
    public static string Root { get; } = typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!.TrimEnd('/');

    public static string Policies => Path.Combine(Root, "policies");

    public static string GoldenCases => Path.Combine(Policies, "tests");

    public static string DemoContract => Path.Combine(Policies, "cdv-demo-2024-2030.yaml");
}
