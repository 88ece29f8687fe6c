using DataClauses.Cli;

namespace DataClauses.Gateway.FunctionalTests.Audit;

/// <summary><c>dataclauses audit verify</c> refuses unclear options and unreadable exports with one line and exit 1.</summary>
public sealed class AuditCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dataclauses-audit-cli-").FullName;

    [Fact]
    public void Verify_needs_exactly_one_of_server_or_export()
    {
        var neither = AuditApi.RunCli("audit", "verify");
        var both = AuditApi.RunCli("audit", "verify", "--server", "http://127.0.0.1:1", "--export", Path.Combine(_folder, "a.jsonl"));
        var noSecret = AuditApi.RunCli("audit", "verify", "--server", "http://127.0.0.1:1", "--client-id", "caf-44-dpo");

        neither.Exit.ShouldBe(CliApp.Failure);
        neither.Error.Trim().ShouldBe("error option: give either --server URL (with --client-id and --client-secret) or --export FILE");
        both.Exit.ShouldBe(CliApp.Failure);
        noSecret.Exit.ShouldBe(CliApp.Failure);
        noSecret.Error.ShouldStartWith("error option: --server needs --client-id and --client-secret");
    }

    [Fact]
    public void Verify_of_a_missing_or_malformed_export_exits_1_naming_the_file_and_line()
    {
        var missing = Path.Combine(_folder, "missing.jsonl");
        var malformed = Path.Combine(_folder, "malformed.jsonl");
        File.WriteAllText(malformed, "{\"format\":\"dataclauses-audit-export-v1\",\"nodeId\":\"n\",\"firstSequence\":1,\"previousHash\":\"x\",\"exportedAt\":\"2026-01-01T00:00:00Z\",\"keys\":{}}\nnot json\n");

        var absent = AuditApi.RunCli("audit", "verify", "--export", missing);
        var bad = AuditApi.RunCli("audit", "verify", "--export", malformed);

        absent.Exit.ShouldBe(CliApp.Failure);
        absent.Error.Trim().ShouldBe($"{missing}:1:1: error file-not-found: no such file");
        bad.Exit.ShouldBe(CliApp.Failure);
        bad.Error.ShouldStartWith($"{malformed}: error bad-export: line 2: ");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
