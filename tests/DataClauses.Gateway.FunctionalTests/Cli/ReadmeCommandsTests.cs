using System.Globalization;
using System.Reflection;
using System.Text;
using DataClauses.Cli;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Cli;

/// <summary>
/// Every <c>dotnet run --project src/DataClauses.Cli -- …</c> line of README.md, run as written (in process, with
/// optional <c>[…]</c> parts and comments left out) against a demo gateway: each must exit 0. Files of the
/// repository (policies/, examples/) are used in place; files a command writes go to a temporary folder.
/// </summary>
public sealed class ReadmeCommandsTests : IDisposable
{
    private const string Prefix = "dotnet run --project src/DataClauses.Cli --";
    private const string DemoUrl = "http://127.0.0.1:5080";

    private static readonly string RepositoryRoot = typeof(ReadmeCommandsTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    private readonly string _folder = Directory.CreateTempSubdirectory("dataclauses-readme-").FullName;

    [Fact]
    public async Task Every_cli_command_of_the_readme_runs_as_written_against_the_demo_gateway()
    {
        var commands = ReadmeCommands(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot, "README.md")));
        commands.Count.ShouldBeGreaterThanOrEqualTo(9);
        await using var host = await GatewayHost.StartAsync(StorageProvider.Sqlite, new Dictionary<string, string?> { ["DataClauses:SeedDemoDatasets"] = "true" });
        var server = host.BaseAddress.ToString().TrimEnd('/');

        var failures = new List<string>();
        foreach (var command in commands)
        {
            if (command.Contains("--export audit.jsonl", StringComparison.Ordinal))
            {
                // The README's two curl lines before this command.
                using var dpo = await host.ClientForAsync("caf-44", "dpo");
                await File.WriteAllTextAsync(Path.Combine(_folder, "audit.jsonl"), await dpo.GetStringAsync("api/v1/audit/export"));
                await File.WriteAllTextAsync(Path.Combine(_folder, "jwks.json"), await host.Http.GetStringAsync(".well-known/jwks.json"));
            }

            var args = Tokenise(command[Prefix.Length..]).Select(a => Resolve(a.Replace(DemoUrl, server, StringComparison.Ordinal))).ToArray();
            using var output = new StringWriter(CultureInfo.InvariantCulture);
            using var error = new StringWriter(CultureInfo.InvariantCulture);
            var exit = await Task.Run(() => CliApp.Run(args, output, error));
            if (exit != CliApp.Success)
            {
                failures.Add($"{command}\n  exit {exit}: {error}{output}");
            }
        }

        failures.ShouldBeEmpty();
        File.Exists(Path.Combine(_folder, "protected.csv")).ShouldBeTrue();
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The CLI lines of the sh blocks, continuation lines joined, comments and optional parts removed.</summary>
    private static List<string> ReadmeCommands(string readme)
    {
        var commands = new List<string>();
        var inBlock = false;
        var current = new StringBuilder();
        foreach (var raw in readme.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inBlock = !inBlock && line.Trim() == "```sh";
                continue;
            }

            if (!inBlock)
            {
                continue;
            }

            var continued = line.EndsWith('\\');
            current.Append(continued ? line[..^1] : line).Append(' ');
            if (continued)
            {
                continue;
            }

            var command = current.ToString().Trim();
            current.Clear();
            if (command.StartsWith(Prefix, StringComparison.Ordinal))
            {
                commands.Add(command);
            }
        }

        return commands;
    }

    /// <summary>Shell words: quotes honoured, a comment ends the line, <c>[…]</c> groups (optional parts) dropped.</summary>
    private static List<string> Tokenise(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var quote = '\0';
        var started = false;
        var optional = false;
        foreach (var c in command)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                started = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                Flush();
            }
            else if (c == '#' && !started)
            {
                break;
            }
            else
            {
                word.Append(c);
                started = true;
            }
        }

        Flush();
        return words;

        void Flush()
        {
            if (!started)
            {
                return;
            }

            var text = word.ToString();
            optional |= text.StartsWith('[');
            if (!optional)
            {
                words.Add(text);
            }

            optional &= !text.EndsWith(']');
            word.Clear();
            started = false;
        }
    }

    /// <summary>A path of the repository stays there (made absolute); any other file name goes to the temporary folder.</summary>
    private string Resolve(string word)
    {
        var equals = word.LastIndexOf('=');
        if (equals > 0 && !word.StartsWith("http", StringComparison.Ordinal))
        {
            return word[..(equals + 1)] + Resolve(word[(equals + 1)..]);
        }

        var looksLikePath = !word.StartsWith('-') && !word.Contains("://", StringComparison.Ordinal)
            && (word.Contains('/', StringComparison.Ordinal) || Path.GetExtension(word) is ".csv" or ".json" or ".jsonl" or ".yaml"
                || Directory.Exists(Path.Combine(RepositoryRoot, word)));
        if (!looksLikePath)
        {
            return word;
        }

        var inRepository = Path.Combine(RepositoryRoot, word);
        return File.Exists(inRepository) || Directory.Exists(inRepository) ? inRepository : Path.Combine(_folder, word);
    }
}
