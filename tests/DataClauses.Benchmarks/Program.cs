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

string[] inProcess = ["--inProcess", "-i"];
BenchmarkSwitcher.FromAssembly(typeof(DataClauses.Benchmarks.DecisionBenchmarks).Assembly)
    .Run(args.Any(a => inProcess.Contains(a, StringComparer.OrdinalIgnoreCase)) ? args : [.. args, "--inProcess"]);
return 0;
