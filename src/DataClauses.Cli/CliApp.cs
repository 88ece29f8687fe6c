using System.CommandLine;
using DataClauses.Cli.Commands;

namespace DataClauses.Cli;

/// <summary>
/// The <c>dataclauses</c> command line: one root, a group of commands per audience.
/// Exit codes: 0 success, 1 a problem with the input (invalid contract, failed case, bad option, unreadable file),
/// 2 an internal error. Problems are reported on the error writer, one line each; never with a stack trace.
/// </summary>
internal static class CliApp
{
    /// <summary>The command succeeded.</summary>
    public const int Success = 0;

    /// <summary>The input has a problem (reported on the error writer).</summary>
    public const int Failure = 1;

    /// <summary>A bug in dataclauses (reported on the error writer without a stack trace).</summary>
    public const int InternalError = 2;

    /// <summary>Parses and runs a command line, writing to the given writers; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("DataClauses: contract-governed data sharing for contrats de ville.")
        {
            PolicyCommands.Create(output, error),
            DiscloseCommand.Create(output, error),
            PublishCommand.Create(output, error),
            ExtractCommands.Create(output, error),
            AuditCommands.Create(output, error),
        };

        return Guard(
            () => root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }),
            error);
    }

    /// <summary>
    /// Runs <paramref name="command"/>, turning an exception into one line on <paramref name="error"/>: a file that
    /// cannot be read is the user's problem (<see cref="Failure"/>), anything else is ours (<see cref="InternalError"/>).
    /// </summary>
    internal static int Guard(Func<int> command, TextWriter error)
    {
        try
        {
            return command();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error io: {ex.Message}");
            return Failure;
        }
#pragma warning disable CA1031 // The command line's last resort: report any bug in one line instead of a stack trace.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error.WriteLine($"error internal: {ex.GetType().Name}: {ex.Message} (a bug in dataclauses; please report it with the command line)");
            return InternalError;
        }
    }
}
