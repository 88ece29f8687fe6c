using BenchmarkDotNet.Running;

// Runs the suites named on the command line, e.g.:
//   dotnet run -c Release --project tests/DataClauses.Benchmarks -- --filter '*Decision*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
