using System.CommandLine;
using DataClauses.Cli.Commands;

namespace DataClauses.Cli;

/// <summary>The <c>dataclauses</c> command line: one root, a group of commands per audience.</summary>
internal static class CliApp
{
    /// <summary>Parses and runs a command line, writing to the given writers; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("DataClauses: contract-governed data sharing for contrats de ville.")
        {
            PolicyCommands.Create(output, error),
        };

        var parse = root.Parse(args);
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
