using System.Globalization;
using System.Text;

namespace DataClauses.Disclosure.Tests.Oracle;

/// <summary>
/// A linear (or mixed-integer) programme written in the CPLEX LP format that <c>glpsol --lp</c> reads. Variables are
/// numbered in the order they are added; the objective lists every variable (most with a zero coefficient) so that
/// glpsol numbers its columns in the same order and its plain-text solution (<c>-w</c>) can be read by index.
/// </summary>
internal sealed class LpModel
{
    private readonly List<(double Lower, double Upper, bool Binary)> _variables = [];
    private readonly HashSet<int> _integers = [];
    private readonly List<(List<(int Variable, double Coefficient)> Terms, string Sense, double Rhs)> _constraints = [];
    private readonly Dictionary<int, double> _objective = [];

    /// <summary>Number of variables.</summary>
    public int VariableCount => _variables.Count;

    /// <summary>Number of constraints.</summary>
    public int ConstraintCount => _constraints.Count;

    /// <summary>Whether the objective is minimised (else maximised).</summary>
    public bool Minimise { get; set; } = true;

    /// <summary>Adds a continuous variable with bounds (infinite bounds allowed) and returns its index.</summary>
    public int AddVariable(double lower, double upper)
    {
        _variables.Add((lower, upper, false));
        return _variables.Count - 1;
    }

    /// <summary>Adds an integer variable with bounds and returns its index.</summary>
    public int AddInteger(double lower, double upper)
    {
        _variables.Add((lower, upper, false));
        _integers.Add(_variables.Count - 1);
        return _variables.Count - 1;
    }

    /// <summary>Adds a 0/1 variable and returns its index.</summary>
    public int AddBinary()
    {
        _variables.Add((0, 1, true));
        return _variables.Count - 1;
    }

    /// <summary>Adds <paramref name="coefficient"/> to a variable's objective coefficient.</summary>
    public void AddObjective(int variable, double coefficient) =>
        _objective[variable] = _objective.GetValueOrDefault(variable) + coefficient;

    /// <summary>Adds Σ terms (sense) rhs, with sense one of "=", "&lt;=", "&gt;=". Terms of one variable are merged.</summary>
    public void AddConstraint(IEnumerable<(int Variable, double Coefficient)> terms, string sense, double rhs)
    {
        var merged = terms.GroupBy(t => t.Variable).Select(g => (g.Key, g.Sum(t => t.Coefficient))).Where(t => t.Item2 != 0).ToList();
        _constraints.Add((merged, sense, rhs));
    }

    /// <summary>The model in CPLEX LP format.</summary>
    public string ToLp()
    {
        var text = new StringBuilder();
        text.AppendLine(Minimise ? "Minimize" : "Maximize");
        text.Append(" obj:");
        if (_variables.Count == 0)
        {
            text.Append(" 0 dummy");
        }

        for (var v = 0; v < _variables.Count; v++)
        {
            AppendTerm(text, v, _objective.GetValueOrDefault(v), first: v == 0);
            if (v % 8 == 7)
            {
                text.AppendLine();
            }
        }

        text.AppendLine();
        text.AppendLine("Subject To");
        for (var c = 0; c < _constraints.Count; c++)
        {
            var (terms, sense, rhs) = _constraints[c];
            text.Append(CultureInfo.InvariantCulture, $" c{c}:");
            if (terms.Count == 0)
            {
                // An empty row still states 0 (sense) rhs: keep it so that infeasibility shows.
                text.Append(" 0 v0");
            }

            for (var i = 0; i < terms.Count; i++)
            {
                AppendTerm(text, terms[i].Variable, terms[i].Coefficient, first: i == 0);
                if (i % 8 == 7)
                {
                    text.AppendLine();
                }
            }

            text.Append(' ').Append(sense).Append(' ').AppendLine(Number(rhs));
        }

        text.AppendLine("Bounds");
        for (var v = 0; v < _variables.Count; v++)
        {
            var (lower, upper, binary) = _variables[v];
            if (binary)
            {
                continue;
            }

            var lowerText = double.IsNegativeInfinity(lower) ? "-inf" : Number(lower);
            var upperText = double.IsPositiveInfinity(upper) ? "+inf" : Number(upper);
            text.AppendLine(CultureInfo.InvariantCulture, $" {lowerText} <= v{v} <= {upperText}");
        }

        if (_variables.Exists(v => v.Binary))
        {
            text.AppendLine("Binary");
            for (var v = 0; v < _variables.Count; v++)
            {
                if (_variables[v].Binary)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $" v{v}");
                }
            }
        }

        if (_integers.Count > 0)
        {
            text.AppendLine("General");
            foreach (var v in _integers.Order())
            {
                text.AppendLine(CultureInfo.InvariantCulture, $" v{v}");
            }
        }

        text.AppendLine("End");
        return text.ToString();
    }

    private static void AppendTerm(StringBuilder text, int variable, double coefficient, bool first)
    {
        text.Append(' ');
        if (coefficient < 0)
        {
            text.Append("- ");
        }
        else if (!first)
        {
            text.Append("+ ");
        }

        text.Append(Number(Math.Abs(coefficient))).Append(" v").Append(variable.ToString(CultureInfo.InvariantCulture));
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
