using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Model;

public sealed class IsoDurationTests
{
    [Theory]
    [InlineData("P1Y", 1, 0, 0, 0, 0, 0, 0)]
    [InlineData("P6M", 0, 6, 0, 0, 0, 0, 0)]
    [InlineData("P90D", 0, 0, 0, 90, 0, 0, 0)]
    [InlineData("P2W", 0, 0, 2, 0, 0, 0, 0)]
    [InlineData("PT12H", 0, 0, 0, 0, 12, 0, 0)]
    [InlineData("P1Y6M", 1, 6, 0, 0, 0, 0, 0)]
    [InlineData("P1DT2H30M15S", 0, 0, 0, 1, 2, 30, 15)]
    [InlineData("PT90M", 0, 0, 0, 0, 0, 90, 0)]
    [InlineData("P0D", 0, 0, 0, 0, 0, 0, 0)]
    public void Parses_calendar_and_time_components(string text, int years, int months, int weeks, int days, int hours, int minutes, int seconds)
    {
        IsoDuration.TryParse(text, out var duration).ShouldBeTrue();

        duration.ShouldBe(new IsoDuration(years, months, weeks, days, hours, minutes, seconds));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("P1YT")]
    [InlineData("1Y")]
    [InlineData("p1y")]
    [InlineData("P1.5Y")]
    [InlineData("P-1Y")]
    [InlineData("P1H")]
    [InlineData("P1D2H")]
    [InlineData(" P1Y")]
    [InlineData("P1Y ")]
    [InlineData("P1M1Y")]
    [InlineData("1 year")]
    public void Rejects_anything_else(string? text)
    {
        IsoDuration.TryParse(text, out var duration).ShouldBeFalse();
        duration.ShouldBe(default);
    }

    [Theory]
    [InlineData("P1Y")]
    [InlineData("P1Y6M")]
    [InlineData("P2W")]
    [InlineData("P1DT2H30M15S")]
    [InlineData("PT12H")]
    [InlineData("P1Y2M3W4DT5H6M7S")]
    public void Formats_back_to_the_text_it_was_parsed_from(string text)
    {
        IsoDuration.TryParse(text, out var duration).ShouldBeTrue();

        duration.ToString().ShouldBe(text);
    }

    [Fact]
    public void Zero_is_recognised_and_formats_as_p0d()
    {
        IsoDuration.TryParse("PT0S", out var duration).ShouldBeTrue();

        duration.IsZero.ShouldBeTrue();
        duration.ToString().ShouldBe("P0D");
        new IsoDuration(0, 0, 0, 1, 0, 0, 0).IsZero.ShouldBeFalse();
    }

    [Theory]
    [InlineData("2024-02-29", "P1Y", "2025-02-28")]
    [InlineData("2024-02-29", "P4Y", "2028-02-29")]
    [InlineData("2024-02-29", "P1Y1D", "2025-03-01")]
    [InlineData("2024-02-29", "P1Y1M", "2025-03-28")]
    [InlineData("2024-01-31", "P1M", "2024-02-29")]
    [InlineData("2023-01-31", "P1M", "2023-02-28")]
    [InlineData("2024-02-28", "P1D", "2024-02-29")]
    [InlineData("2024-02-01", "P4W", "2024-02-29")]
    [InlineData("2024-01-01", "P7Y", "2031-01-01")]
    [InlineData("2024-01-01", "PT36H", "2024-01-01")]
    public void Adds_to_a_date_in_calendar_units_first(string start, string duration, string expected)
    {
        IsoDuration.TryParse(duration, out var d).ShouldBeTrue();

        d.AddTo(DateOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture))
            .ShouldBe(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2024-02-29T10:00:00Z", "P1Y", "2025-02-28T10:00:00Z")]
    [InlineData("2024-02-28T12:00:00Z", "PT36H", "2024-03-01T00:00:00Z")]
    [InlineData("2023-02-28T12:00:00Z", "PT36H", "2023-03-02T00:00:00Z")]
    [InlineData("2024-01-31T23:59:59Z", "P1MT1S", "2024-03-01T00:00:00Z")]
    public void Adds_to_an_instant_across_29_february(string start, string duration, string expected)
    {
        IsoDuration.TryParse(duration, out var d).ShouldBeTrue();

        d.AddTo(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture))
            .ShouldBe(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_duration_past_the_end_of_the_calendar_saturates_instead_of_throwing()
    {
        IsoDuration.TryParse("P9999Y", out var d).ShouldBeTrue();

        d.AddTo(new DateOnly(2024, 1, 1)).ShouldBe(DateOnly.MaxValue);
        d.AddTo(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero)).ShouldBe(DateTimeOffset.MaxValue);
    }
}
