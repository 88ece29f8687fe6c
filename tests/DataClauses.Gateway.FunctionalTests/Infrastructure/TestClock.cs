namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// A clock that tests move by hand (Microsoft.Extensions.TimeProvider.Testing is not served by the registry).
/// Registered in place of <see cref="TimeProvider.System"/>, so expiry and key rotation are tested without sleeping.
/// </summary>
public sealed class TestClock : TimeProvider
{
    private long _utcTicks;

    public TestClock(DateTimeOffset start) => _utcTicks = start.UtcTicks;

    /// <summary>A clock starting at the real current time, truncated to the second (JWT times are whole seconds).</summary>
    public static TestClock StartingNow()
    {
        var now = System.GetUtcNow();
        return new TestClock(new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero));
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref _utcTicks, by.Ticks);
    }

    /// <summary>Moves the clock to an instant (never backwards).</summary>
    public void MoveTo(DateTimeOffset instant) => Advance(instant - GetUtcNow());
}
