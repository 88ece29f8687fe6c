using System.Net.Sockets;

namespace DataClauses.Cli.Tests.Commands;

public sealed class CliAppTests
{
    [Fact]
    public void An_unexpected_exception_is_reported_in_one_line_with_exit_code_two()
    {
        using var error = new StringWriter();

        var code = CliApp.Guard(() => throw new InvalidOperationException("boom"), error);

        code.ShouldBe(2);
        error.ToString().Trim().ShouldBe("error internal: InvalidOperationException: boom (a bug in dataclauses; please report it with the command line)");
    }

    [Fact]
    public void A_path_that_cannot_be_read_is_an_input_error_without_a_stack_trace()
    {
        // A Unix domain socket exists as a file but cannot be opened for reading.
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.FullPath, "contract.yaml");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));

        var result = Cli.Run("policy", "lint", path);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldHaveSingleItem().ShouldStartWith("error io: ");
    }

    [Fact]
    public void An_unknown_command_is_a_usage_error_without_a_stack_trace()
    {
        var result = Cli.Run("policy", "frobnicate");

        result.ExitCode.ShouldBe(1);
        result.Error.ShouldContain("frobnicate");
        result.Error.ShouldNotContain("   at ");
    }

    [Fact]
    public void Help_exits_zero_and_lists_the_policy_commands()
    {
        var result = Cli.Run("policy", "--help");

        result.ExitCode.ShouldBe(0);
        foreach (var command in new[] { "lint", "test", "explain", "odrl" })
        {
            result.Output.ShouldContain(command);
        }
    }
}
