namespace DataClauses.Cli.Tests;

/// <summary>What one in-process run of <c>dataclauses</c> wrote and returned.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    /// <summary>The error output, line by line.</summary>
    public IReadOnlyList<string> ErrorLines => Lines(Error);

    /// <summary>The standard output, line by line.</summary>
    public IReadOnlyList<string> OutputLines => Lines(Output);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>Runs the command line in-process, as <c>Program</c> does, with string writers.</summary>
internal static class Cli
{
    public static CliResult Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return new CliResult(code, output.ToString(), error.ToString());
    }
}

/// <summary>A directory of its own under the system's temporary directory, deleted with everything in it.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(FullPath);

    public string FullPath { get; } = Path.Combine(Path.GetTempPath(), "dataclauses-cli-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Writes a file in the directory and returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = Path.Combine(FullPath, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(FullPath))
        {
            Directory.Delete(FullPath, recursive: true);
        }
    }
}
