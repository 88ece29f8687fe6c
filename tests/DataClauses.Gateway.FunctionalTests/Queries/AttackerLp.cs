using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DataClauses.Gateway.FunctionalTests.Queries;

/// <summary>
/// The attacker's linear programme: unknown non-negative leaf values, the published cells as equalities (each the sum
/// of its leaves), what else the attacker knows as inequalities; then the smallest and largest value a suppressed
/// cell can take. Solved by GLPK's <c>glpsol</c> (Debian package glpk-utils) in a separate process.
/// </summary>
internal sealed class AttackerLp
{
    public const string Glpsol = "/usr/bin/glpsol";

    private readonly List<(int[] Leaves, string Sense, double Value)> _constraints = [];

    /// <summary>A published cell: the sum of its leaves is known exactly.</summary>
    public void Published(IEnumerable<int> leaves, double value) => _constraints.Add(([.. leaves], "=", value));

    /// <summary>A known lower bound on a cell (e.g. a primary suppressed cell is not empty).</summary>
    public void AtLeast(IEnumerable<int> leaves, double value) => _constraints.Add(([.. leaves], ">=", value));

    /// <summary>The attacker's interval for a cell (its leaves' sum): its minimum and maximum (+∞ when unbounded).</summary>
    public (double Min, double Max) Interval(IReadOnlyCollection<int> leaves) => (Solve("Minimize", leaves), Solve("Maximize", leaves));

    private double Solve(string sense, IReadOnlyCollection<int> target)
    {
        if (!File.Exists(Glpsol))
        {
            throw new InvalidOperationException($"{Glpsol} is missing: install GLPK (apt-get install glpk-utils); the differencing test checks the attacker's linear programmes with it.");
        }

        var lp = new StringBuilder();
        lp.Append(sense).Append("\n obj: ").AppendJoin(" + ", target.Select(Var)).Append("\nSubject To\n");
        for (var i = 0; i < _constraints.Count; i++)
        {
            var (leaves, op, value) = _constraints[i];
            lp.Append(CultureInfo.InvariantCulture, $" c{i}: ").AppendJoin(" + ", leaves.Select(Var))
                .Append(CultureInfo.InvariantCulture, $" {op} {value}\n");
        }

        lp.Append("End\n");
        var directory = Path.Combine(Path.GetTempPath(), "dataclauses-attacker", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var model = Path.Combine(directory, "attacker.lp");
            var output = Path.Combine(directory, "solution.txt");
            File.WriteAllText(model, lp.ToString());
            var start = new ProcessStartInfo(Glpsol) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "--lp", model, "-o", output })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var log = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (log.Contains("UNBOUNDED", StringComparison.Ordinal))
            {
                return sense == "Maximize" ? double.PositiveInfinity : double.NegativeInfinity;
            }

            process.ExitCode.ShouldBe(0, log);
            var lines = File.ReadAllLines(output);
            lines.Single(l => l.StartsWith("Status:", StringComparison.Ordinal)).ShouldContain("OPTIMAL", customMessage: log);
            var objective = lines.Single(l => l.StartsWith("Objective:", StringComparison.Ordinal));
            var value = objective[(objective.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0];
            return double.Parse(value, CultureInfo.InvariantCulture);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Var(int leaf) => "x" + leaf.ToString(CultureInfo.InvariantCulture);
}
