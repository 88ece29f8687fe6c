using BenchmarkDotNet.Running;

// Runs the suites named on the command line, e.g.:
//   dotnet run -c Release --project tests/DataClauses.Benchmarks --artifacts-path /tmp/art-bench -- --filter '*Decision*'
// Benchmarks run in this process (BenchmarkDotNet's --inProcess, added unless given): the default out-of-process
// toolchain rebuilds the projects into the source tree's bin/ and obj/, which several builds share here, and ignores
// --artifacts-path. Job options (--job short, …) still apply.
if (args is ["audit-append", ..])
{
    // audit/run-audit-benchmark.sh: the audit append rate on PostgreSQL (a load test, not a BenchmarkDotNet suite).
    return await DataClauses.Benchmarks.Audit.AuditAppendBenchmark.RunAsync(args[1..]);
}

if (args is ["protect-cpu", ..])
{
    // The benchmark table's protection timed by process CPU time as well as wall time: on a loaded machine the CPU
    // time says what one protection costs on one core (docs/BENCHMARKS.md, before and after issue 11). A third
    // argument divides the table's geography (a smaller table, for a quick look).
    var runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
    var scale = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1;
    var table = DataClauses.Benchmarks.QpvTable.Generate(50 / scale, 280 / scale, 1_400 / scale).Build();
    var rules = new DataClauses.Disclosure.DisclosureRules { MinCount = 5, PublicCells = new HashSet<int> { 0 } };
    var process = System.Diagnostics.Process.GetCurrentProcess();
    for (var run = 0; run < runs; run++)
    {
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var protectedTable = DataClauses.Disclosure.TableProtector.Protect(table, rules);
        wall.Stop();
        process.Refresh();

        // A digest of the pattern (statuses and weaker guarantees), so that two builds can be shown to agree.
        var pattern = new List<byte>(protectedTable.Statuses.Select(s => (byte)s));
        foreach (var (cell, model) in protectedTable.WeakerGuarantees.OrderBy(w => w.Key))
        {
            pattern.AddRange(BitConverter.GetBytes(cell));
            pattern.Add((byte)model);
        }

        var digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(pattern.ToArray()))[..16];
        Console.WriteLine(System.FormattableString.Invariant(
            $"run {run}: wall {wall.Elapsed.TotalSeconds:F2} s, cpu {(process.TotalProcessorTime - cpu).TotalSeconds:F2} s, {table.CellCount} cells, {protectedTable.PrimaryCount} primary, {protectedTable.SecondaryCount} secondary, {protectedTable.WeakerGuarantees.Count} weaker, pattern {digest}"));
    }

    return 0;
}

string[] inProcess = ["--inProcess", "-i"];
BenchmarkSwitcher.FromAssembly(typeof(DataClauses.Benchmarks.DecisionBenchmarks).Assembly)
    .Run(args.Any(a => inProcess.Contains(a, StringComparer.OrdinalIgnoreCase)) ? args : [.. args, "--inProcess"]);
return 0;
