using System.Diagnostics;
using System.Globalization;

namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>The outcome of one glpsol run.</summary>
/// <param name="Status">optimal, infeasible, unbounded, or another glpsol status word.</param>
/// <param name="Objective">The objective value (meaningful when optimal).</param>
/// <param name="Values">The value of each variable, in the model's order.</param>
/// <param name="Log">What glpsol printed.</param>
internal sealed record LpSolution(string Status, double Objective, double[] Values, string Log = "")
{
    public bool IsOptimal => Status == "optimal";
}

/// <summary>
/// Runs GLPK's <c>glpsol</c> (package glpk-utils) on an <see cref="LpModel"/>: the LP is written to a temporary file,
/// solved in a separate process, and its plain-text solution (<c>-w</c>) read back by column index.
/// </summary>
internal static class Glpsol
{
    public const string Path = "/usr/bin/glpsol";

    /// <summary>Extra glpsol options (tests may set them).</summary>
    public static string[] Options { get; set; } = [];

    /// <summary>Whether glpsol is installed (the test script installs glpk-utils).</summary>
    public static bool IsInstalled => File.Exists(Path);

    /// <summary>Solves the model; <paramref name="timeLimitSeconds"/> bounds a MIP search; <paramref name="extra"/> adds glpsol options.</summary>
    public static LpSolution Solve(LpModel model, int timeLimitSeconds = 120, params string[] extra)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!IsInstalled)
        {
            throw new InvalidOperationException($"{Path} is missing: apt-get install glpk-utils (./test.sh installs it).");
        }

        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dataclauses-glpk", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var lp = System.IO.Path.Combine(directory, "model.lp");
            var solution = System.IO.Path.Combine(directory, "solution.txt");
            File.WriteAllText(lp, model.ToLp());
            if (Environment.GetEnvironmentVariable("DATACLAUSES_KEEP_LP") is { Length: > 0 } keep)
            {
                File.Copy(lp, keep, overwrite: true);
            }

            var start = new ProcessStartInfo(Path)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "--lp", lp, "-w", solution, "--tmlim", timeLimitSeconds.ToString(CultureInfo.InvariantCulture) }.Concat(Options).Concat(extra))
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("glpsol did not start.");
            var errors = process.StandardError.ReadToEndAsync();
            var log = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0 || !File.Exists(solution))
            {
                throw new InvalidOperationException($"glpsol failed ({process.ExitCode}): {log}{errors.Result}");
            }

            if (log.Contains("TIME LIMIT EXCEEDED", StringComparison.Ordinal))
            {
                return new LpSolution("time-limit", double.NaN, [], log);
            }

            return Read(File.ReadAllLines(solution), model.VariableCount, log);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Reads glpsol's plain-text solution: "s bas|mip rows cols status… obj", then "j col …" per column.</summary>
    private static LpSolution Read(string[] lines, int variables, string log)
    {
        var values = new double[variables];
        string? status = null;
        var objective = double.NaN;
        var isMip = false;
        foreach (var line in lines)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }

            switch (parts[0])
            {
                case "s" when parts[1] == "bas":
                    // s bas rows cols primal-status dual-status obj
                    status = parts[4] switch { "f" => "optimal", "n" => "infeasible", "u" => "undefined", "i" => "infeasible", _ => parts[4] };
                    if (log.Contains("UNBOUNDED", StringComparison.Ordinal))
                    {
                        status = "unbounded";
                    }
                    else if (status == "optimal" && !log.Contains("OPTIMAL", StringComparison.Ordinal))
                    {
                        status = "not-optimal";
                    }

                    objective = Parse(parts[6]);
                    break;
                case "s" when parts[1] == "mip":
                    // s mip rows cols status obj — o optimal, f feasible, n no feasible, u undefined
                    isMip = true;
                    status = parts[4] switch { "o" => "optimal", "f" => "feasible", "n" => "infeasible", _ => "undefined" };
                    objective = Parse(parts[5]);
                    break;
                case "j":
                    // basic: j col status primal dual; mip: j col value
                    var column = int.Parse(parts[1], CultureInfo.InvariantCulture) - 1;
                    if (column < variables)
                    {
                        values[column] = Parse(isMip ? parts[2] : parts[3]);
                    }

                    break;
            }
        }

        return new LpSolution(status ?? "unknown", objective, values, log);
    }

    private static double Parse(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
