namespace DataClauses.Policy.Tests;

/// <summary>Where the repository's policies live, found from the test binary upwards.</summary>
internal static class Paths
{
    public static string Root { get; } = FindRoot();

    public static string Policies => Path.Combine(Root, "policies");

    public static string GoldenCases => Path.Combine(Policies, "tests");

    public static string DemoContract => Path.Combine(Policies, "cdv-demo-2024-2030.yaml");

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DataClauses.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("DataClauses.sln not found above the test binary.");
    }
}
