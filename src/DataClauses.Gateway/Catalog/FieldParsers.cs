using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// Strict parsers for CSV values as UTF-8 bytes (no string allocated on the hot path). Values are trimmed by the
/// caller. They accept what French and international spreadsheets write, and nothing ambiguous.
/// </summary>
internal static class FieldParsers
{
    private const NumberStyles NumberStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    /// <summary>An integer: optional sign, then ASCII digits (no thousands separator, no decimal part).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        var negative = false;
        var i = 0;
        if (text[0] is (byte)'-' or (byte)'+')
        {
            negative = text[0] == (byte)'-';
            i = 1;
            if (text.Length == 1)
            {
                return false;
            }
        }

        // Accumulate negatively so that long.MinValue parses too.
        long result = 0;
        for (; i < text.Length; i++)
        {
            var digit = text[i] - (byte)'0';
            if ((uint)digit > 9)
            {
                return false;
            }

            if (result < (long.MinValue + digit) / 10)
            {
                return false;
            }

            result = (result * 10) - digit;
        }

        if (!negative)
        {
            if (result == long.MinValue)
            {
                return false;
            }

            result = -result;
        }

        value = result;
        return true;
    }

    /// <summary>
    /// A finite decimal number with a decimal point, or a decimal comma when <paramref name="decimalComma"/> (files
    /// separated by <c>;</c>); an optional exponent. Thousands separators are refused (1,234 is ambiguous).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseNumber(ReadOnlySpan<byte> text, bool decimalComma, out double value)
    {
        value = 0;

        // double.TryParse forgives trailing NUL characters; a value with any control character is not a number.
        if (text.IsEmpty || text.Length > 64 || text.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0)
        {
            return false;
        }

        if (TryParseSimpleDecimal(text, decimalComma, out value))
        {
            return true;
        }

        var comma = text.IndexOf((byte)',');
        if (comma >= 0)
        {
            if (!decimalComma || text.IndexOf((byte)'.') >= 0 || text[(comma + 1)..].IndexOf((byte)',') >= 0)
            {
                return false;
            }

            Span<byte> copy = stackalloc byte[text.Length];
            text.CopyTo(copy);
            copy[comma] = (byte)'.';
            return double.TryParse(copy, NumberStyle, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
        }

        // double.TryParse accepts "NaN" and "Infinity"; a measure must be a finite number.
        return double.TryParse(text, NumberStyle, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>
    /// The common case, without the general parser: an optional sign, at most 15 digits with one decimal separator
    /// inside them. The mantissa and the power of ten are then exact doubles, so one division gives the correctly
    /// rounded value, the same as <see cref="double.Parse(string)"/> (Clinger's fast path). Anything else: false.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryParseSimpleDecimal(ReadOnlySpan<byte> text, bool decimalComma, out double value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (text[0] is (byte)'-' or (byte)'+')
        {
            negative = text[0] == (byte)'-';
            i = 1;
        }

        long mantissa = 0;
        var digits = 0;
        var fraction = -1;
        for (; i < text.Length; i++)
        {
            var b = text[i];
            var digit = b - (byte)'0';
            if ((uint)digit <= 9)
            {
                if (++digits > 15)
                {
                    return false;
                }

                mantissa = (mantissa * 10) + digit;
                if (fraction >= 0)
                {
                    fraction++;
                }
            }
            else if (fraction < 0 && digits > 0 && (b == (byte)'.' || (b == (byte)',' && decimalComma)))
            {
                fraction = 0;
            }
            else
            {
                return false;
            }
        }

        if (digits == 0 || fraction == 0)
        {
            return false;
        }

        value = fraction > 0 ? mantissa / PowersOfTen[fraction] : mantissa;
        if (negative)
        {
            value = -value;
        }

        return true;
    }

    private static readonly double[] PowersOfTen = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    /// <summary>A date written <c>YYYY-MM-DD</c> (ISO 8601) or <c>DD/MM/YYYY</c> (French).</summary>
    public static bool TryParseDate(ReadOnlySpan<byte> text, out DateOnly value)
    {
        value = default;
        if (text.Length != 10)
        {
            return false;
        }

        int year, month, day;
        if (text[4] == (byte)'-' && text[7] == (byte)'-')
        {
            if (!Digits(text[..4], out year) || !Digits(text.Slice(5, 2), out month) || !Digits(text.Slice(8, 2), out day))
            {
                return false;
            }
        }
        else if (text[2] == (byte)'/' && text[5] == (byte)'/')
        {
            if (!Digits(text[..2], out day) || !Digits(text.Slice(3, 2), out month) || !Digits(text.Slice(6, 4), out year))
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        value = new DateOnly(year, month, day);
        return true;
    }

    /// <summary>A boolean: true/false, 1/0, oui/non (any case).</summary>
    public static bool TryParseBoolean(ReadOnlySpan<byte> text, out bool value)
    {
        if (Ascii.EqualsIgnoreCase(text, "true"u8) || text.SequenceEqual("1"u8) || Ascii.EqualsIgnoreCase(text, "oui"u8))
        {
            value = true;
            return true;
        }

        value = false;
        return Ascii.EqualsIgnoreCase(text, "false"u8) || text.SequenceEqual("0"u8) || Ascii.EqualsIgnoreCase(text, "non"u8);
    }

    /// <summary>Removes leading and trailing spaces and tabs (spreadsheets sometimes pad cells).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && text[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }

        while (end > start && text[end - 1] is (byte)' ' or (byte)'\t')
        {
            end--;
        }

        return text[start..end];
    }

    private static bool Digits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var b in text)
        {
            var digit = b - (byte)'0';
            if ((uint)digit > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }
}
