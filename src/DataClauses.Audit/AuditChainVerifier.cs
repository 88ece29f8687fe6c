using System.Buffers;
using System.Security.Cryptography;

namespace DataClauses.Audit;

/// <summary>
/// Verification fed chunk by chunk (so that a store can stream millions of rows without holding them): each chunk's
/// hashes are computed in parallel, then the chunk is judged in order, so the first bad position is the same as a
/// sequential check would name. <see cref="AuditVerifier.Verify(IEnumerable{StoredAuditRow}, IEnumerable{AuditCheckpoint}, Func{string, ECDsa?}, long, string)"/>
/// drives it over an enumerable.
/// </summary>
public sealed class AuditChainVerifier
{
    /// <summary>Rows per chunk that the enumerable driver hands over (large enough to share among cores).</summary>
    public const int ChunkSize = 8192;

    private const int ParallelThreshold = 1024;
    private readonly Queue<AuditCheckpoint> _pending;
    private readonly List<AuditCheckpoint> _anchors;
    private readonly Func<string, ECDsa?> _publicKeys;
    private readonly string _expectedPrevious;
    private AuditVerification? _failure;
    private bool _anchorChecked;
    private int _checkpointsChecked;
    private long _expectedSequence;
    private string _previous;
    private long _count;

    /// <summary>A verification starting after <paramref name="expectedPrevious"/> at <paramref name="firstSequence"/>.</summary>
    /// <param name="checkpoints">Signed checkpoints; those before <c>firstSequence - 1</c> are ignored, one at <c>firstSequence - 1</c> is the anchor.</param>
    /// <param name="publicKeys">Resolves a key id to the node's public key (null when unknown).</param>
    /// <param name="firstSequence">The first expected sequence.</param>
    /// <param name="expectedPrevious">The hash the first row follows.</param>
    public AuditChainVerifier(IEnumerable<AuditCheckpoint> checkpoints, Func<string, ECDsa?> publicKeys, long firstSequence = 1, string expectedPrevious = AuditChain.GenesisHash)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(publicKeys);
        ArgumentException.ThrowIfNullOrEmpty(expectedPrevious);
        var ordered = checkpoints.OrderBy(c => c.Sequence).ToList();
        _anchors = [.. ordered.Where(c => c.Sequence == firstSequence - 1 && c.Sequence > 0)];
        _pending = new Queue<AuditCheckpoint>(ordered.Where(c => c.Sequence >= firstSequence));
        _publicKeys = publicKeys;
        _expectedPrevious = expectedPrevious;
        _expectedSequence = firstSequence;
        _previous = expectedPrevious;
    }

    /// <summary>Checks the next rows, in stored order; false once a problem is found (later rows are not read).</summary>
    public bool Add(IReadOnlyList<StoredAuditRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (_failure is not null || !CheckAnchor())
        {
            return false;
        }

        var checks = HashAll(rows);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            _count++;
            if (row.Sequence != _expectedSequence)
            {
                return row.Sequence > _expectedSequence
                    ? Fail(_expectedSequence, AuditVerifier.MissingEvent, $"event {_expectedSequence} is missing (next stored event is {row.Sequence})")
                    : Fail(row.Sequence, AuditVerifier.Reordered, $"event {row.Sequence} appears where event {_expectedSequence} was expected");
            }

            var check = checks[i];
            if (!check.HashMatches)
            {
                return Fail(row.Sequence, AuditVerifier.HashMismatch, $"event {row.Sequence} does not hash to its stored hash: its content was changed");
            }

            if (!check.Parsed)
            {
                return Fail(row.Sequence, AuditVerifier.BadCanonicalForm, $"event {row.Sequence}'s hashed content is not a canonical audit event");
            }

            // The link is judged on the hashed content (what the stored columns say could have been edited alone).
            var linked = check.PreviousMatchesColumn
                ? string.Equals(row.PreviousHash, _previous, StringComparison.Ordinal)
                : AuditVerifier.CanonicalPreviousIs(row, _previous);
            if (!linked)
            {
                return Fail(row.Sequence, AuditVerifier.BrokenLink, $"event {row.Sequence} does not follow the event before it (an event was inserted, removed or swapped)");
            }

            if (!check.SequenceMatches || !check.PreviousMatchesColumn)
            {
                return Fail(row.Sequence, AuditVerifier.BadCanonicalForm, $"event {row.Sequence}'s stored columns disagree with its hashed content");
            }

            while (_pending.Count > 0 && _pending.Peek().Sequence <= row.Sequence)
            {
                var checkpoint = _pending.Dequeue();
                if (!SignatureHolds(checkpoint))
                {
                    return Fail(checkpoint.Sequence, AuditVerifier.BadSignature, $"the checkpoint at event {checkpoint.Sequence} is not signed by a key of node '{checkpoint.NodeId}'");
                }

                if (!string.Equals(checkpoint.Hash, row.Hash, StringComparison.Ordinal))
                {
                    return Fail(row.Sequence, AuditVerifier.CheckpointMismatch, $"event {row.Sequence} does not have the hash its signed checkpoint states: the chain was rewritten");
                }

                _checkpointsChecked++;
            }

            _previous = row.Hash;
            _expectedSequence++;
        }

        return true;
    }

    /// <summary>The result, once every row was added (checkpoints beyond the last row mean the end was removed).</summary>
    public AuditVerification Complete()
    {
        if (_failure is not null || !CheckAnchor())
        {
            return _failure!;
        }

        if (_pending.Count > 0)
        {
            var beyond = _pending.Peek();
            if (!SignatureHolds(beyond))
            {
                Fail(beyond.Sequence, AuditVerifier.BadSignature, $"the checkpoint at event {beyond.Sequence} is not signed by a key of node '{beyond.NodeId}'");
                return _failure!;
            }

            Fail(_expectedSequence, AuditVerifier.CheckpointMismatch, $"a signed checkpoint states event {beyond.Sequence}, but the chain ends at {_expectedSequence - 1}: events were removed from the end");
            return _failure!;
        }

        return new AuditVerification(true, _count, null, null, null, _previous, _checkpointsChecked, _expectedSequence - 1);
    }

    private bool CheckAnchor()
    {
        if (_anchorChecked)
        {
            return _failure is null;
        }

        _anchorChecked = true;
        foreach (var anchor in _anchors)
        {
            if (!SignatureHolds(anchor))
            {
                return Fail(anchor.Sequence, AuditVerifier.BadSignature, $"the anchor checkpoint at event {anchor.Sequence} is not signed by a key of node '{anchor.NodeId}'");
            }

            if (!string.Equals(anchor.Hash, _expectedPrevious, StringComparison.Ordinal))
            {
                return Fail(anchor.Sequence, AuditVerifier.CheckpointMismatch, $"the chain starts after event {anchor.Sequence} with a hash its signed anchor does not state");
            }

            _checkpointsChecked++;
        }

        return true;
    }

    private bool SignatureHolds(AuditCheckpoint checkpoint)
    {
        var key = _publicKeys(checkpoint.KeyId);
        return key is not null && checkpoint.VerifySignature(key);
    }

    private bool Fail(long sequence, string problem, string detail)
    {
        _failure = new AuditVerification(false, _count, sequence, problem, detail, _previous, _checkpointsChecked, _expectedSequence - 1);
        return false;
    }

    private static AuditVerifier.RowCheck[] HashAll(IReadOnlyList<StoredAuditRow> rows)
    {
        var checks = new AuditVerifier.RowCheck[rows.Count];
        var workers = rows.Count >= ParallelThreshold ? Math.Min(Environment.ProcessorCount, rows.Count / (ParallelThreshold / 4)) : 1;
        if (workers <= 1)
        {
            HashRange(rows, checks, 0, rows.Count);
            return checks;
        }

        var size = (rows.Count + workers - 1) / workers;
        Parallel.For(0, workers, w => HashRange(rows, checks, w * size, Math.Min(rows.Count, (w + 1) * size)));
        return checks;
    }

    private static void HashRange(IReadOnlyList<StoredAuditRow> rows, AuditVerifier.RowCheck[] checks, int from, int to)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            for (var i = from; i < to; i++)
            {
                checks[i] = AuditVerifier.Check(rows[i], ref buffer);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
