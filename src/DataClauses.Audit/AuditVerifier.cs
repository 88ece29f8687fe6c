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
/// <param name="HeadSequence">The sequence of the last event checked (0 when none).</param>
public sealed record AuditVerification(bool Intact, long EventsChecked, long? FirstBadSequence, string? Problem, string? Detail, string HeadHash, int CheckpointsChecked = 0, long HeadSequence = 0);

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
    /// last row means the chain was truncated. A checkpoint at <c>firstSequence - 1</c> is the anchor the range
    /// starts from: its signature is checked and its hash must be <paramref name="expectedPrevious"/>.
    /// </summary>
    public static AuditVerification Verify(
        IEnumerable<StoredAuditRow> rows,
        IEnumerable<AuditCheckpoint> checkpoints,
        Func<string, ECDsa?> publicKeys,
        long firstSequence = 1,
        string expectedPrevious = AuditChain.GenesisHash)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var session = new AuditChainVerifier(checkpoints, publicKeys, firstSequence, expectedPrevious);
        var chunk = new List<StoredAuditRow>(AuditChainVerifier.ChunkSize);
        foreach (var row in rows)
        {
            chunk.Add(row);
            if (chunk.Count == AuditChainVerifier.ChunkSize)
            {
                if (!session.Add(chunk))
                {
                    return session.Complete();
                }

                chunk.Clear();
            }
        }

        session.Add(chunk);
        return session.Complete();
    }

    /// <summary>What hashing one row found (computed in parallel, judged in order).</summary>
    internal readonly record struct RowCheck(bool HashMatches, bool Parsed, bool SequenceMatches, bool PreviousMatchesColumn);

    /// <summary>Hashes a row's canonical form and reads its chain fields; <paramref name="buffer"/> grows as needed.</summary>
    internal static RowCheck Check(StoredAuditRow row, ref byte[] buffer)
    {
        var utf8 = Encode(row.Canonical, ref buffer);
        if (!HashEquals(utf8, row.Hash))
        {
            return new RowCheck(false, false, false, false);
        }

        if (!ReadChainFields(utf8, out var canonicalSequence, out var canonicalPrevious))
        {
            return new RowCheck(true, false, false, false);
        }

        return new RowCheck(true, true, canonicalSequence == row.Sequence, AsciiEquals(canonicalPrevious, row.PreviousHash));
    }

    /// <summary>Whether the hashed content of a row names <paramref name="previous"/> as its previous hash (the rare path).</summary>
    internal static bool CanonicalPreviousIs(StoredAuditRow row, string previous)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var utf8 = Encode(row.Canonical, ref buffer);
            return ReadChainFields(utf8, out _, out var canonicalPrevious) && AsciiEquals(canonicalPrevious, previous);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Span<byte> Encode(string canonical, ref byte[] buffer)
    {
        var byteCount = Encoding.UTF8.GetMaxByteCount(canonical.Length);
        if (byteCount > buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(byteCount);
        }

        var length = Encoding.UTF8.GetBytes(canonical, buffer);
        return buffer.AsSpan(0, length);
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
