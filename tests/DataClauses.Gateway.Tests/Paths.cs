using System.Reflection;

namespace DataClauses.Gateway.Tests;

/// <summary>Where the repository's files are (the root is stamped into the test assembly at build time).</summary>
internal static class Paths
{
    public static string Root { get; } = typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!.TrimEnd('/');

    public static string DemoContract => Path.Combine(Root, "policies", "cdv-demo-2024-2030.yaml");
}
