using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Queries;
using DataClauses.Gateway.Storage;
using DataClauses.Gateway.Tests.Queries;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Model;
using Microsoft.AspNetCore.DataProtection;

namespace DataClauses.Gateway.Tests.Extracts;

public sealed class ExtractFilesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private static ExtractEntity Extract() => new()
    {
        Id = "0123456789abcdef0123456789abcdef",
        RequesterSubject = "caf-44-analyst",
        RequesterOrganisation = "caf-44",
        RequesterRoles = "analyst",
        Providers = "|caf-44|",
        Purpose = "observation",
        Justification = "Pour le comité de pilotage.",
        RequestedRetention = "P3M",
        TablesJson = "[]",
        DecisionJson = "{}",
        Status = ExtractStatus.Producing,
        RetentionDeadline = Now.AddMonths(3),
        RetentionEnd = "delete",
        CorrelationId = "corr",
    };

    private static ProducedTable Produced(string[] dimensions)
    {
        var request = new DecisionRequest
        {
            Requester = new Requester("caf-44-analyst", "caf-44", ["analyst"]),
            Action = PolicyAction.Query,
            Dataset = "d",
            Dimensions = dimensions,
            Measures = ["n", "m"],
            Purpose = "observation",
        };
        var decision = DecisionEngine.Decide(ContractSet.Create([SmallCube.Contract]), request, Now);
        decision.Effect.ShouldBe(Effect.Permit);
        var version = new PublishedVersion("d", "2024-12-31", "dv_d_1", 42, Now, new string('f', 64), ["qpv", "commune", "type", "n", "m"]);
        var opened = new OpenedCube(version, SmallCube.Definition(), SmallCube.Cube);
        var slice = QuerySlice.Take(SmallCube.Cube, dimensions, ["n", "m"], []);
        var table = new ExtractTable
        {
            Dataset = "d",
            Version = "2024-12-31",
            Provider = "caf-44",
            Contract = "cdv-small",
            Clause = "c",
            Dimensions = dimensions,
            Measures = ["n", "m"],
            Effect = "permit",
        };
        return new ProducedTable(table, new QueryAnswer(request, decision, opened, slice, "corr"));
    }

    [Fact]
    public void An_extract_is_one_french_csv_per_table_and_one_json_file_whose_hash_covers_its_tables_as_written()
    {
        var tables = new[] { Produced(["qpv", "type"]), Produced(["commune"]) };

        var files = ExtractFiles.Render(Extract(), tables, Now);

        files.Select(f => (f.Format, f.TableIndex)).ShouldBe([("csv", 1), ("csv", 2), ("json", 0)]);
        files[0].Content.ShouldBe(tables[0].Answer.ToCsv());
        var csv = Encoding.UTF8.GetString(files[0].Content);
        csv.ShouldStartWith("\uFEFFqpv;type;n;m;statut\r\n");
        csv.ShouldContain($"{SmallCube.Q1};b;s;s;secret\r\n");

        using var json = JsonDocument.Parse(files[2].Content);
        var metadata = json.RootElement.GetProperty("metadata");
        metadata.GetProperty("extract").GetString().ShouldBe("0123456789abcdef0123456789abcdef");
        metadata.GetProperty("contract").GetString().ShouldBe("cdv-small");
        metadata.GetProperty("clause").GetString().ShouldBe("c");
        metadata.GetProperty("retentionDeadline").GetString().ShouldBe("2026-06-01T10:00:00.000Z");
        metadata.GetProperty("generatedAt").GetString().ShouldBe("2026-03-01T10:00:00.000Z");
        metadata.GetProperty("datasets").EnumerateArray().Select(d => d.GetProperty("version").GetString()).ShouldBe(["2024-12-31", "2024-12-31"]);
        metadata.GetProperty("datasets")[0].GetProperty("obligations").GetProperty("minCount").GetInt32().ShouldBe(3);
        var tablesJson = json.RootElement.GetProperty("tables");
        metadata.GetProperty("contentSha256").GetString().ShouldBe(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tablesJson.GetRawText()))));
        var suppressed = tablesJson[0].GetProperty("cells").EnumerateArray().Single(c => c.GetProperty("qpv").GetString() == SmallCube.Q1 && c.GetProperty("type").GetString() == "b");
        suppressed.GetProperty("n").ValueKind.ShouldBe(JsonValueKind.Null);
        suppressed.GetProperty("m").ValueKind.ShouldBe(JsonValueKind.Null);
        files[2].Sha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(files[2].Content)));
    }

    [Fact]
    public void Changing_anything_in_the_tables_changes_the_content_hash()
    {
        var files = ExtractFiles.Render(Extract(), [Produced(["qpv"])], Now);
        var text = Encoding.UTF8.GetString(files[^1].Content);
        using var original = JsonDocument.Parse(text);
        var tampered = text.Replace("\"cellsReturned\":4,", "\"cellsReturned\":5,", StringComparison.Ordinal);
        tampered.ShouldNotBe(text);

        using var document = JsonDocument.Parse(tampered);

        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(document.RootElement.GetProperty("tables").GetRawText())))
            .ShouldNotBe(original.RootElement.GetProperty("metadata").GetProperty("contentSha256").GetString());
    }

    [Fact]
    public void Protected_bytes_only_open_for_the_extract_they_were_written_for()
    {
        var files = new ExtractFiles(new EphemeralDataProtectionProvider());
        var plaintext = Encoding.UTF8.GetBytes("qpv;n;statut\r\nQN04401M;12;published\r\n");

        var stored = files.Protect("0123456789abcdef0123456789abcdef", plaintext);

        stored.AsSpan().IndexOf("QN04401M"u8).ShouldBe(-1);
        files.Unprotect("0123456789abcdef0123456789abcdef", stored).ShouldBe(plaintext);
        Should.Throw<CryptographicException>(() => files.Unprotect("fedcba9876543210fedcba9876543210", stored));
        stored[^1] ^= 1;
        Should.Throw<CryptographicException>(() => files.Unprotect("0123456789abcdef0123456789abcdef", stored));
    }
}
