using System.Security.Cryptography;
using System.Text;

namespace DataClauses.Audit;

/// <summary>The hash chain: each event's hash covers its canonical form, which includes the previous hash.</summary>
public static class AuditChain
{
    /// <summary>The "previous hash" of the first event.</summary>
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Seals an event at a position, after the event whose hash is <paramref name="previousHash"/>.</summary>
    public static SealedAuditEvent Seal(long sequence, string previousHash, AuditEvent auditEvent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        var canonical = AuditCanonicalForm.Write(sequence, previousHash, auditEvent);
        return new SealedAuditEvent(sequence, auditEvent, previousHash, HashOf(canonical), canonical);
    }

    /// <summary>Hex SHA-256 of a canonical form.</summary>
    public static string HashOf(string canonical)
    {
        Span<byte> hash = stackalloc byte[32];
        var bytes = Encoding.UTF8.GetBytes(canonical);
        SHA256.HashData(bytes, hash);
        return Convert.ToHexStringLower(hash);
    }
}
