using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DataClauses.Audit;

/// <summary>A stored audit row as a verifier reads it: the indexed columns and the canonical form.</summary>
/// <param name="Sequence">Stored sequence number.</param>
/// <param name="PreviousHash">Stored previous hash.</param>
/// <param name="Hash">Stored hash.</param>
/// <param name="Canonical">Stored canonical JSON.</param>
public sealed record StoredAuditRow(long Sequence, string PreviousHash, string Hash, string Canonical);

/// <summary>What a verification found.</summary>
/// <param name="Intact">True when every event, link and checkpoint checks out.</param>
/// <param name="EventsChecked">How many events were read.</param>
/// <param name="FirstBadSequence">The first position at fault, when not intact.</param>
/// <param name="Problem">What is wrong there (see the constants of <see cref="AuditVerifier"/>).</param>
/// <param name="Detail">A sentence for humans.</param>
/// <param name="HeadHash">The hash of the last event checked.</param>
/// <param name="CheckpointsChecked">How many checkpoints were checked.</param>
public sealed record AuditVerification(bool Intact, long EventsChecked, long? FirstBadSequence, string? Problem, string? Detail, string HeadHash, int CheckpointsChecked = 0);

/// <summary>Recomputes a chain (or a range of it) and its checkpoints, and names the first bad position.</summary>
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

    /// <summary>Problem code: a checkpoint's signature does not verify (or its key is unknown).</summary>
    public const string BadSignature = "bad-signature";

    /// <summary>Problem code: the chain does not reach a checkpoint's hash at its position (edited before it, or truncated).</summary>
    public const string CheckpointMismatch = "checkpoint-mismatch";

    /// <summary>
    /// Verifies rows in stored order, starting after <paramref name="expectedPrevious"/> at <paramref name="firstSequence"/>
    /// (the genesis for a whole chain; a checkpoint's hash for a range).
    /// </summary>
    public static AuditVerification Verify(IEnumerable<StoredAuditRow> rows, long firstSequence = 1, string expectedPrevious = AuditChain.GenesisHash) =>
        Verify(rows, [], _ => null, firstSequence, expectedPrevious);

    /// <summary>
    /// Verifies rows and the checkpoints that fall in their range: each checkpoint's signature (with the key its
    /// id resolves to) and that the chain's hash at its sequence equals the signed one. A checkpoint beyond the
    /// last row means the chain was truncated.
    /// </summary>
    public static AuditVerification Verify(
        IEnumerable<StoredAuditRow> rows,
        IEnumerable<AuditCheckpoint> checkpoints,
        Func<string, ECDsa?> publicKeys,
        long firstSequence = 1,
        string expectedPrevious = AuditChain.GenesisHash)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(publicKeys);

        // Checkpoints first: a forged checkpoint is reported as such, at its position.
        var pending = new Queue<AuditCheckpoint>(checkpoints.Where(c => c.Sequence >= firstSequence).OrderBy(c => c.Sequence));
        foreach (var checkpoint in pending)
        {
            var key = publicKeys(checkpoint.KeyId);
            if (key is null || !checkpoint.VerifySignature(key))
            {
                return new AuditVerification(false, 0, checkpoint.Sequence, BadSignature,
                    $"the checkpoint at event {checkpoint.Sequence} is not signed by a key of node '{checkpoint.NodeId}'", expectedPrevious);
            }
        }

        var checkpointsChecked = 0;
        var expectedSequence = firstSequence;
        var previous = expectedPrevious;
        long count = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            foreach (var row in rows)
            {
                count++;
                if (row.Sequence != expectedSequence)
                {
                    return row.Sequence > expectedSequence
                        ? Fail(expectedSequence, MissingEvent, $"event {expectedSequence} is missing (next stored event is {row.Sequence})")
                        : Fail(row.Sequence, Reordered, $"event {row.Sequence} appears where event {expectedSequence} was expected");
                }

                var byteCount = Encoding.UTF8.GetMaxByteCount(row.Canonical.Length);
                if (byteCount > buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(byteCount);
                }

                var length = Encoding.UTF8.GetBytes(row.Canonical, buffer);
                var utf8 = buffer.AsSpan(0, length);
                if (!HashEquals(utf8, row.Hash))
                {
                    return Fail(row.Sequence, HashMismatch, $"event {row.Sequence} does not hash to its stored hash: its content was changed");
                }

                if (!ReadChainFields(utf8, out var canonicalSequence, out var canonicalPrevious)
                    || canonicalSequence != row.Sequence
                    || !AsciiEquals(canonicalPrevious, row.PreviousHash))
                {
                    return Fail(row.Sequence, BadCanonicalForm, $"event {row.Sequence}'s stored columns disagree with its hashed content");
                }

                if (!string.Equals(row.PreviousHash, previous, StringComparison.Ordinal))
                {
                    return Fail(row.Sequence, BrokenLink, $"event {row.Sequence} does not follow the event before it (an event was inserted, removed or swapped)");
                }

                while (pending.Count > 0 && pending.Peek().Sequence <= row.Sequence)
                {
                    var checkpoint = pending.Dequeue();
                    if (checkpoint.Sequence == row.Sequence && !string.Equals(checkpoint.Hash, row.Hash, StringComparison.Ordinal))
                    {
                        return Fail(row.Sequence, CheckpointMismatch, $"event {row.Sequence} does not have the hash its signed checkpoint states: the chain was rewritten");
                    }

                    checkpointsChecked++;
                }

                previous = row.Hash;
                expectedSequence++;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (pending.Count > 0)
        {
            var beyond = pending.Peek();
            return Fail(expectedSequence, CheckpointMismatch, $"a signed checkpoint states event {beyond.Sequence}, but the chain ends at {expectedSequence - 1}: events were removed from the end");
        }

        return new AuditVerification(true, count, null, null, null, previous, checkpointsChecked);

        AuditVerification Fail(long sequence, string problem, string detail) => new(false, count, sequence, problem, detail, previous, checkpointsChecked);
    }

    private static bool AsciiEquals(ReadOnlySpan<byte> utf8, string text)
    {
        if (utf8.Length != text.Length)
        {
            return false;
        }

        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] != text[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool HashEquals(ReadOnlySpan<byte> utf8, string expectedHex)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(utf8, hash);
        Span<byte> expected = stackalloc byte[32];
        return expectedHex.Length == 64
            && Convert.FromHexString(expectedHex, expected, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == 32
            && hash.SequenceEqual(expected);
    }

    /// <summary>Reads "sequence" and "previousHash" from a canonical form without materialising it.</summary>
    private static bool ReadChainFields(ReadOnlySpan<byte> utf8, out long sequence, out ReadOnlySpan<byte> previousHash)
    {
        sequence = -1;
        previousHash = default;
        var reader = new Utf8JsonReader(utf8);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var found = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
            {
                if (reader.ValueTextEquals("sequence"u8))
                {
                    reader.Read();
                    if (!reader.TryGetInt64(out sequence))
                    {
                        return false;
                    }

                    found++;
                }
                else if (reader.ValueTextEquals("previousHash"u8))
                {
                    reader.Read();
                    previousHash = reader.ValueSpan;
                    found++;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }

                if (found == 2)
                {
                    return true;
                }
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
