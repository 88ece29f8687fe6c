using System.Globalization;
using System.Text;
using DataClauses.Disclosure;

namespace DataClauses.Cli.Tests.Commands;

public sealed class DiscloseCommandTests : IDisposable
{
    // Q1/A has one household (sensitive under a minimum of 3); u2 appears twice in Q1/B: one household, 10 + 5.
    private const string Microdata = """
        id;qpv;type_menage;montant
        u1;Q1;A;100,5
        u2;Q1;B;10
        u3;Q1;B;20
        u4;Q1;B;30
        u5;Q1;B;40
        u2;Q1;B;5
        u6;Q2;A;1
        u7;Q2;A;2
        u8;Q2;A;3
        u9;Q2;A;4
        u10;Q2;A;5
        u11;Q2;B;10
        u12;Q2;B;10
        u13;Q2;B;10
        u14;Q2;B;10
        u15;Q2;B;10
        u16;Q2;B;10

        """;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_small_microdata_file_gives_every_cell_of_the_full_table_with_one_mark_for_every_secret_cell()
    {
        var input = _directory.Write("foyers.csv", "\uFEFF" + Microdata);
        var output = Path.Combine(_directory.FullPath, "protected.csv");

        var result = Cli.Run("disclose", "--input", input, "--dims", "qpv,type_menage", "--count-unit", "id", "--sum", "montant", "--min-count", "3", "--output", output);

        result.Error.ShouldBeEmpty();
        result.ExitCode.ShouldBe(0);
        result.Output.Trim().ShouldBe($"9 cells: 4 secret; written to {output}");
        File.ReadAllText(output).ShouldBe("""
            qpv,type_menage,count,montant,status
            Total,Total,16,280.5,published
            Total,A,6,115.5,published
            Total,B,10,165,published
            Q1,Total,5,205.5,published
            Q1,A,s,s,secret
            Q1,B,s,s,secret
            Q2,Total,11,75,published
            Q2,A,s,s,secret
            Q2,B,s,s,secret

            """.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("base5", "15", "5", "10", "5", "10")]
    [InlineData("midpoint6", "15", "3", "9", "3", "9")]
    public void Rounded_counts_are_published_with_the_status_published(string rounding, string total, string a, string b, string q1, string q2)
    {
        var input = _directory.Write("foyers.csv", Microdata);
        var output = Path.Combine(_directory.FullPath, "protected.csv");

        var result = Cli.Run("disclose", "--input", input, "--dims", "qpv,type_menage", "--count-unit", "id", "--min-count", "3", "--rounding", rounding, "--output", output);

        result.ExitCode.ShouldBe(0);
        File.ReadAllLines(output).ShouldBe(
        [
            "qpv,type_menage,count,status",
            $"Total,Total,{total},published",
            $"Total,A,{a},published",
            $"Total,B,{b},published",
            $"Q1,Total,{q1},published",
            "Q1,A,s,secret",
            "Q1,B,s,secret",
            $"Q2,Total,{q2},published",
            "Q2,A,s,secret",
            "Q2,B,s,secret",
        ]);
    }

    [Fact]
    public void The_output_is_what_the_table_protector_gives_on_the_same_table_through_a_hierarchy()
    {
        // 6 QPV in 3 communes in 2 EPCIs × 3 household types, a comma-separated file with quoted decimal commas.
        var random = new Random(9);
        var qpvs = new[] { ("Q1", "C1", "E1"), ("Q2", "C1", "E1"), ("Q3", "C2", "E1"), ("Q4", "C3", "E2"), ("Q5", "C3", "E2"), ("Q6", "C3", "E2") };
        var rows = new StringBuilder("id,qpv,type_menage,montant,autre\n");
        var records = new List<(string Qpv, string Type, double Amount)>();
        var unit = 0;
        foreach (var (qpv, _, _) in qpvs)
        {
            foreach (var type in new[] { "couple", "famille", "seul" })
            {
                var n = random.Next(4) == 0 ? random.Next(0, 3) : random.Next(3, 12);
                for (var i = 0; i < n; i++)
                {
                    var amount = random.Next(0, 100_000) / 100.0;
                    records.Add((qpv, type, amount));
                    rows.Append(CultureInfo.InvariantCulture, $"u{unit++},{qpv},{type},\"{amount.ToString(CultureInfo.InvariantCulture).Replace('.', ',')}\",x\n");
                }
            }
        }

        var input = _directory.Write("foyers.csv", rows.ToString());
        var hierarchy = _directory.Write("qpv.csv", "qpv;commune;epci\n" + string.Concat(qpvs.Select(q => $"{q.Item1};{q.Item2};{q.Item3}\n")));
        var output = Path.Combine(_directory.FullPath, "protected.csv");

        var result = Cli.Run("disclose", "--input", input, "--dims", "qpv,type_menage", "--count-unit", "id", "--sum", "montant",
            "--min-count", "4", "--dominance", "1:85", "--protect-zeros", "--hierarchy", $"qpv:commune:epci={hierarchy}", "--output", output);

        result.Error.ShouldBeEmpty();
        result.ExitCode.ShouldBe(0);

        // The same table built here, independently of the command's parsing.
        var geography = Hierarchy.FromParents(
            [("E1", null), ("E2", null), ("C1", "E1"), ("C2", "E1"), ("C3", "E2"), .. qpvs.Select(q => (q.Item1, (string?)q.Item2))]);
        var builder = new TableBuilder([new Dimension("qpv", geography), new Dimension("type_menage", Hierarchy.Flat(["couple", "famille", "seul"]))], ["montant"], topContributions: 1);
        foreach (var (qpv, type, amount) in records)
        {
            builder.AddRecord([qpv, type], [amount]);
        }

        var table = builder.Build();
        var expected = TableProtector.Protect(table, new DisclosureRules { MinCount = 4, Dominance = (1, 85), ProtectZeros = true });
        var lines = File.ReadAllLines(output);
        lines[0].ShouldBe("qpv,type_menage,count,montant,status");
        lines.Length.ShouldBe(table.CellCount + 1);
        for (var cell = 0; cell < table.CellCount; cell++)
        {
            var fields = lines[cell + 1].Split(',');
            fields.Take(2).ShouldBe(table.CodesOf(cell), $"line {cell + 2}");
            fields[4].ShouldBe(expected.IsPublished(cell) ? "published" : "secret");
            fields[2].ShouldBe(expected.CountOf(cell)?.ToString(CultureInfo.InvariantCulture) ?? "s");
            if (expected.SumOf(0, cell) is { } sum)
            {
                double.Parse(fields[3], CultureInfo.InvariantCulture).ShouldBe(sum, 1e-6);
            }
            else
            {
                fields[3].ShouldBe("s");
            }
        }

        lines.ShouldContain(l => l.StartsWith("E2,Total,", StringComparison.Ordinal));
        lines.ShouldContain(l => l.StartsWith("C3,seul,", StringComparison.Ordinal));
        expected.PrimaryCount.ShouldBeGreaterThan(0);
        expected.SecondaryCount.ShouldBeGreaterThan(0);
        lines.Skip(1).Select(l => l.Split(',')[4]).Where(s => s != "published").Distinct().ShouldBe(["secret"]);
    }

    [Fact]
    public void Show_reasons_adds_why_each_secret_cell_is_secret_and_the_split_of_the_count()
    {
        var input = _directory.Write("foyers.csv", Microdata);
        var output = Path.Combine(_directory.FullPath, "protected.csv");

        var result = Cli.Run("disclose", "--input", input, "--dims", "qpv,type_menage", "--count-unit", "id", "--sum", "montant", "--min-count", "3", "--show-reasons", "--output", output);

        result.Error.ShouldBeEmpty();
        result.ExitCode.ShouldBe(0);
        result.Output.Trim().ShouldBe($"9 cells: 4 secret (1 primary, 3 secondary); written to {output}");
        File.ReadAllLines(output).ShouldBe(
        [
            "qpv,type_menage,count,montant,status,reason",
            "Total,Total,16,280.5,published,",
            "Total,A,6,115.5,published,",
            "Total,B,10,165,published,",
            "Q1,Total,5,205.5,published,",
            "Q1,A,s,s,secret,primary:min-count",
            "Q1,B,s,s,secret,secondary",
            "Q2,Total,11,75,published,",
            "Q2,A,s,s,secret,secondary",
            "Q2,B,s,s,secret,secondary",
        ]);
    }

    [Fact]
    public void Without_show_reasons_nothing_in_the_output_tells_primary_from_secondary_on_random_tables()
    {
        // Random tables (seed printed on failure): the default output and the reasons output agree on every value and
        // mark; only the reasons output names primary, secondary, dominance or p-percent.
        var withBothKinds = 0;
        for (var seed = 0; seed < 8; seed++)
        {
            var random = new Random(seed);
            var rows = new StringBuilder("id;g;h;v\n");
            var unit = 0;
            foreach (var g in new[] { "g1", "g2", "g3", "g4" })
            {
                foreach (var h in new[] { "h1", "h2", "h3" })
                {
                    var n = random.Next(4) == 0 ? random.Next(1, 3) : random.Next(3, 9);
                    for (var i = 0; i < n; i++)
                    {
                        rows.Append(CultureInfo.InvariantCulture, $"u{unit++};{g};{h};{random.Next(1, 1000)}\n");
                    }
                }
            }

            var input = _directory.Write($"t{seed}.csv", rows.ToString());
            var plain = Path.Combine(_directory.FullPath, $"plain{seed}.csv");
            var reasons = Path.Combine(_directory.FullPath, $"reasons{seed}.csv");
            string[] options = ["--dims", "g,h", "--count-unit", "id", "--sum", "v", "--min-count", "3", "--dominance", "1:90", "--p-percent", "10"];
            var plainRun = Cli.Run(["disclose", "--input", input, .. options, "--output", plain]);
            var reasonsRun = Cli.Run(["disclose", "--input", input, .. options, "--show-reasons", "--output", reasons]);
            plainRun.ExitCode.ShouldBe(0, $"seed {seed}: {plainRun.Error}");
            reasonsRun.ExitCode.ShouldBe(0, $"seed {seed}: {reasonsRun.Error}");

            var withReasons = File.ReadAllLines(reasons);
            var kinds = withReasons.Skip(1).Select(l => l.Split(',')[^1]).Where(r => r.Length > 0).Select(r => r.Split(':')[0]).Distinct().ToList();
            var text = File.ReadAllText(plain) + plainRun.Output;
            foreach (var word in new[] { "primary", "secondary", "dominance", "p-percent", "min-count" })
            {
                text.ShouldNotContain(word, Case.Insensitive, $"seed {seed}");
            }

            File.ReadAllLines(plain).ShouldBe(withReasons.Select(l => l[..l.LastIndexOf(',')]), $"seed {seed}");
            File.ReadAllLines(plain).Skip(1).Select(l => l.Split(',')[^1]).Where(s => s != "published").Distinct().ShouldBeSubsetOf(["secret"]);
            withBothKinds += kinds.Count == 2 ? 1 : 0;
        }

        withBothKinds.ShouldBeGreaterThan(0, "no table had both primary and secondary suppressions: the test would check nothing");
    }

    [Fact]
    public void A_sum_may_be_given_twice_or_comma_separated()
    {
        var input = _directory.Write("data.csv", "id,g,a,b\n1,x,1.5,2\n2,x,2,3\n3,y,4,5\n4,y,1,1\n");
        var output = Path.Combine(_directory.FullPath, "out.csv");

        Cli.Run("disclose", "--input", input, "--dims", "g", "--count-unit", "id", "--sum", "a", "--sum", "b", "--min-count", "1", "--output", output).ExitCode.ShouldBe(0);
        File.ReadAllLines(output).ShouldBe(["g,count,a,b,status", "Total,4,8.5,11,published", "x,2,3.5,5,published", "y,2,5,6,published"]);

        Cli.Run("disclose", "--input", input, "--dims", "g", "--count-unit", "id", "--sum", "a,b", "--min-count", "1", "--output", output).ExitCode.ShouldBe(0);
        File.ReadAllLines(output)[0].ShouldBe("g,count,a,b,status");
    }

    [Fact]
    public void An_unknown_column_is_reported_with_the_columns_there_are()
    {
        var input = _directory.Write("foyers.csv", Microdata);

        var result = Disclose(input, "--dims", "qpv,typo");

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{input}:1:1: no column 'typo' (columns: id, qpv, type_menage, montant)"]);
    }

    [Fact]
    public void A_missing_value_is_reported_at_its_line_and_column()
    {
        var input = _directory.Write("foyers.csv", "id;qpv;type_menage\nu1;Q1;A\nu2;;B\n");

        var result = Disclose(input);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{input}:3:4: missing value in column 'qpv'"]);
    }

    [Fact]
    public void A_bad_number_is_reported_at_its_line_and_column()
    {
        var input = _directory.Write("foyers.csv", "id;qpv;type_menage;montant\nu1;Q1;A;12,5\nu2;Q1;B;1.234,5\n");

        var result = Disclose(input, "--sum", "montant");

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{input}:3:9: '1.234,5' is not a number (column 'montant')"]);
    }

    [Fact]
    public void A_code_missing_from_the_hierarchy_file_is_reported_where_it_is_used()
    {
        var input = _directory.Write("foyers.csv", "id,qpv,type_menage\nu1,Q1,A\nu2,Q9,B\n");
        var hierarchy = _directory.Write("qpv.csv", "qpv,commune,epci\nQ1,C1,E1\nQ2,C1,E1\n");

        var result = Disclose(input, "--hierarchy", $"qpv:commune:epci={hierarchy}");

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{input}:3:4: 'Q9' of column 'qpv' is not a leaf of {hierarchy}"]);
    }

    [Fact]
    public void A_hierarchy_file_that_puts_a_commune_in_two_epcis_is_reported()
    {
        var input = _directory.Write("foyers.csv", "id,qpv,type_menage\nu1,Q1,A\n");
        var hierarchy = _directory.Write("qpv.csv", "qpv,commune,epci\nQ1,C1,E1\nQ2,C1,E2\n");

        var result = Disclose(input, "--hierarchy", $"qpv:commune:epci={hierarchy}");

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{hierarchy}:3:4: commune 'C1' is in epci 'E2' here but in 'E1' on line 2"]);
    }

    [Fact]
    public void A_row_with_too_many_fields_is_reported_at_the_first_extra_one()
    {
        var input = _directory.Write("foyers.csv", "id;qpv;type_menage\nu1;Q1;A;extra\n");

        var result = Disclose(input);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{input}:2:9: 4 fields where the header has 3"]);
    }

    [Fact]
    public void A_file_that_is_not_utf8_is_reported_at_its_line()
    {
        var input = Path.Combine(_directory.FullPath, "latin1.csv");
        File.WriteAllBytes(input, [.. "id;qpv;type_menage\nu1;Q1;A\nu2;Q1;"u8, 0xE9, .. "\n"u8]);

        var result = Disclose(input);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{input}:3:1: not valid UTF-8"]);
    }

    [Fact]
    public void A_missing_input_file_is_reported()
    {
        var input = Path.Combine(_directory.FullPath, "absent.csv");

        var result = Disclose(input);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([$"{input}:1:1: no such file"]);
    }

    [Theory]
    [InlineData("--min-count", "0", "--min-count: '0' is not a whole number of at least 1")]
    [InlineData("--dominance", "1-85", "--dominance: '1-85' is not n:k with n ≥ 1 and 0 < k ≤ 100 (e.g. 1:85)")]
    [InlineData("--p-percent", "x", "--p-percent: 'x' is not a percentage (0 < p ≤ 100)")]
    [InlineData("--rounding", "base6", "--rounding: 'base6' is not none, base5 or midpoint6")]
    [InlineData("--hierarchy", "qpv=x.csv", "--hierarchy: 'qpv=x.csv' is not dim:level[:level…]=FILE.csv (e.g. qpv:commune:epci=qpv.csv)")]
    [InlineData("--hierarchy", "age:band=x.csv", "--hierarchy: 'age' is not one of --dims (qpv, type_menage)")]
    [InlineData("--dominance", "1:85", "--dominance: applies to sums; give the measure with --sum")]
    public void A_bad_option_is_reported_and_exits_one(string option, string value, string message)
    {
        var input = _directory.Write("foyers.csv", Microdata);

        var result = Disclose(input, option, value);

        result.ExitCode.ShouldBe(1);
        result.ErrorLines.ShouldBe([message]);
        File.Exists(Path.Combine(_directory.FullPath, "out.csv")).ShouldBeFalse();
    }

    [Fact]
    public void A_missing_required_option_is_a_usage_error()
    {
        var result = Cli.Run("disclose", "--dims", "qpv", "--count-unit", "id", "--min-count", "3", "--output", "out.csv");

        result.ExitCode.ShouldBe(1);
        result.Error.ShouldContain("--input");
    }

    /// <summary>Runs disclose on qpv × type_menage with a minimum of 3, the options given last overriding.</summary>
    private CliResult Disclose(string input, params string[] options)
    {
        var args = new List<string> { "disclose", "--input", input, "--count-unit", "id", "--output", Path.Combine(_directory.FullPath, "out.csv") };
        if (!options.Contains("--dims"))
        {
            args.AddRange(["--dims", "qpv,type_menage"]);
        }

        if (!options.Contains("--min-count"))
        {
            args.AddRange(["--min-count", "3"]);
        }

        args.AddRange(options);
        return Cli.Run([.. args]);
    }
}
