namespace DataClauses.Audit;

/// <summary>A stored audit row as a verifier reads it: the indexed columns and the canonical form.</summary>
/// <param name="Sequence">Stored sequence number.</param>
/// <param name="PreviousHash">Stored previous hash.</param>
/// <param name="Hash">Stored hash.</param>
/// <param name="Canonical">Stored canonical JSON.</param>
public sealed record StoredAuditRow(long Sequence, string PreviousHash, string Hash, string Canonical);

/// <summary>What a verification found.</summary>
/// <param name="Intact">True when every event and link checks out.</param>
/// <param name="EventsChecked">How many events were read.</param>
/// <param name="FirstBadSequence">The first position at fault, when not intact.</param>
/// <param name="Problem">What is wrong there (hash-mismatch, missing-event, reordered, broken-link, bad-canonical-form…).</param>
/// <param name="Detail">A sentence for humans.</param>
/// <param name="HeadHash">The hash of the last event checked.</param>
public sealed record AuditVerification(bool Intact, long EventsChecked, long? FirstBadSequence, string? Problem, string? Detail, string HeadHash);

/// <summary>Recomputes a chain (or a range of it) and names the first bad position.</summary>
public static class AuditVerifier
{
    /// <summary>Problem code: the stored hash is not the hash of the stored canonical form.</summary>
    public const string HashMismatch = "hash-mismatch";

    /// <summary>Problem code: a sequence number is skipped.</summary>
    public const string MissingEvent = "missing-event";

    /// <summary>Problem code: sequence numbers go backwards or repeat.</summary>
    public const string Reordered = "reordered";

    /// <summary>Problem code: an event does not point to the previous event's hash.</summary>
    public const string BrokenLink = "broken-link";

    /// <summary>Problem code: the canonical form does not agree with the stored columns, or does not parse.</summary>
    public const string BadCanonicalForm = "bad-canonical-form";

    /// <summary>
    /// Verifies rows in stored order, starting after <paramref name="expectedPrevious"/> at <paramref name="firstSequence"/>
    /// (the genesis for a whole chain; a checkpoint's hash for a range).
    /// </summary>
    public static AuditVerification Verify(IEnumerable<StoredAuditRow> rows, long firstSequence = 1, string expectedPrevious = AuditChain.GenesisHash)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var expectedSequence = firstSequence;
        var previous = expectedPrevious;
        long count = 0;
        foreach (var row in rows)
        {
            count++;
            if (row.Sequence != expectedSequence)
            {
                return row.Sequence > expectedSequence
                    ? Fail(expectedSequence, MissingEvent, $"event {expectedSequence} is missing (next stored event is {row.Sequence})")
                    : Fail(row.Sequence, Reordered, $"event {row.Sequence} appears where event {expectedSequence} was expected");
            }

            if (!string.Equals(AuditChain.HashOf(row.Canonical), row.Hash, StringComparison.Ordinal))
            {
                return Fail(row.Sequence, HashMismatch, $"event {row.Sequence} does not hash to its stored hash: its content was changed");
            }

            long canonicalSequence;
            string canonicalPrevious;
            try
            {
                (canonicalSequence, canonicalPrevious, _) = AuditCanonicalForm.Read(row.Canonical);
            }
            catch (System.Text.Json.JsonException)
            {
                return Fail(row.Sequence, BadCanonicalForm, $"event {row.Sequence} is not valid canonical JSON");
            }

            if (canonicalSequence != row.Sequence || !string.Equals(canonicalPrevious, row.PreviousHash, StringComparison.Ordinal))
            {
                return Fail(row.Sequence, BadCanonicalForm, $"event {row.Sequence}'s stored columns disagree with its hashed content");
            }

            if (!string.Equals(row.PreviousHash, previous, StringComparison.Ordinal))
            {
                return Fail(row.Sequence, BrokenLink, $"event {row.Sequence} does not follow the event before it (an event was inserted, removed or swapped)");
            }

            previous = row.Hash;
            expectedSequence++;
        }

        return new AuditVerification(true, count, null, null, null, previous);

        AuditVerification Fail(long sequence, string problem, string detail) => new(false, count, sequence, problem, detail, previous);
    }
}
