using System.Globalization;
using System.Text.RegularExpressions;

namespace DataClauses.Policy.Model;

/// <summary>
/// An ISO-8601 duration (<c>P1Y6M</c>, <c>P90D</c>, <c>PT12H</c>) kept in calendar units, so that
/// "one year" from 29 February ends on 28 February, as a retention deadline should.
/// </summary>
public readonly partial record struct IsoDuration(int Years, int Months, int Weeks, int Days, int Hours, int Minutes, int Seconds)
{
    [GeneratedRegex(@"^P(?!$)(?:(?<y>\d{1,4})Y)?(?:(?<mo>\d{1,4})M)?(?:(?<w>\d{1,4})W)?(?:(?<d>\d{1,5})D)?(?:T(?=\d)(?:(?<h>\d{1,5})H)?(?:(?<mi>\d{1,6})M)?(?:(?<s>\d{1,7})S)?)?$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex Pattern();

    /// <summary>True when every component is zero.</summary>
    public bool IsZero => Years == 0 && Months == 0 && Weeks == 0 && Days == 0 && Hours == 0 && Minutes == 0 && Seconds == 0;

    /// <summary>Parses an ISO-8601 duration; returns false for anything else (negative or fractional values included).</summary>
    public static bool TryParse(string? text, out IsoDuration duration)
    {
        duration = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var match = Pattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        duration = new IsoDuration(Part("y"), Part("mo"), Part("w"), Part("d"), Part("h"), Part("mi"), Part("s"));
        return true;

        int Part(string group) => match.Groups[group].Success ? int.Parse(match.Groups[group].ValueSpan, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>
    /// Adds the duration to an instant, calendar units first (years, months), then fixed ones. A result past the
    /// end of the calendar is <see cref="DateTimeOffset.MaxValue"/>: a duration that long never ends.
    /// </summary>
    public DateTimeOffset AddTo(DateTimeOffset instant)
    {
        try
        {
            return instant.AddYears(Years).AddMonths(Months).AddDays((Weeks * 7L) + Days).AddHours(Hours).AddMinutes(Minutes).AddSeconds(Seconds);
        }
        catch (ArgumentOutOfRangeException)
        {
            return DateTimeOffset.MaxValue;
        }
    }

    /// <summary>
    /// Adds the duration to a date (time components are ignored). A result past the end of the calendar is
    /// <see cref="DateOnly.MaxValue"/>.
    /// </summary>
    public DateOnly AddTo(DateOnly date)
    {
        try
        {
            return date.AddYears(Years).AddMonths(Months).AddDays((Weeks * 7) + Days);
        }
        catch (ArgumentOutOfRangeException)
        {
            return DateOnly.MaxValue;
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        if (IsZero)
        {
            return "P0D";
        }

        var text = "P"
            + (Years > 0 ? $"{Years}Y" : string.Empty)
            + (Months > 0 ? $"{Months}M" : string.Empty)
            + (Weeks > 0 ? $"{Weeks}W" : string.Empty)
            + (Days > 0 ? $"{Days}D" : string.Empty);
        if (Hours > 0 || Minutes > 0 || Seconds > 0)
        {
            text += "T"
                + (Hours > 0 ? $"{Hours}H" : string.Empty)
                + (Minutes > 0 ? $"{Minutes}M" : string.Empty)
                + (Seconds > 0 ? $"{Seconds}S" : string.Empty);
        }

        return text;
    }
}
