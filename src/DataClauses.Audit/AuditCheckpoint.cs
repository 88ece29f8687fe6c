using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DataClauses.Audit;

/// <summary>
/// A signed statement of the chain's head: "at this time, event <see cref="Sequence"/> of node <see cref="NodeId"/>
/// has hash <see cref="Hash"/>". Anyone holding the node's public key can check it; a chain that still hashes to a
/// checkpoint cannot have been edited before it, even by someone who recomputed every hash.
/// </summary>
/// <param name="NodeId">The node whose chain it is.</param>
/// <param name="Sequence">The head's sequence number.</param>
/// <param name="Hash">The head's hash.</param>
/// <param name="Timestamp">When it was signed.</param>
/// <param name="KeyId">The signing key's id (in the node's JWKS).</param>
/// <param name="Signature">Base64url ECDSA P-256 SHA-256 signature (IEEE P1363 r||s) over <see cref="SigningInput"/>.</param>
/// <param name="Kind">
/// <see cref="Periodic"/>, <see cref="OnDemand"/> or <see cref="Anchor"/> (the last event of a purged prefix: what remains
/// starts after it). Signed with the rest, so that a checkpoint cannot be turned into an anchor afterwards.
/// </param>
public sealed record AuditCheckpoint(string NodeId, long Sequence, string Hash, DateTimeOffset Timestamp, string KeyId, string Signature, string Kind = AuditCheckpoint.Periodic)
{
    /// <summary>Kind of a checkpoint signed on a schedule.</summary>
    public const string Periodic = "periodic";

    /// <summary>Kind of a checkpoint signed at someone's request.</summary>
    public const string OnDemand = "on-demand";

    /// <summary>Kind of the checkpoint a retention purge leaves at the last event it removed.</summary>
    public const string Anchor = "anchor";

    /// <summary>The exact bytes signed: a fixed, line-based text form.</summary>
    public static byte[] SigningInput(string nodeId, long sequence, string hash, DateTimeOffset timestamp, string keyId, string kind = Periodic) =>
        Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"dataclauses-audit-checkpoint-v1\nnode:{nodeId}\nsequence:{sequence}\nhash:{hash}\ntime:{AuditCanonicalForm.FormatInstant(timestamp)}\nkid:{keyId}\nkind:{kind}\n"));

    /// <summary>Signs the chain head with a node key.</summary>
    public static AuditCheckpoint Sign(string nodeId, long sequence, string hash, DateTimeOffset timestamp, string keyId, ECDsa key, string kind = Periodic)
    {
        ArgumentNullException.ThrowIfNull(key);
        var signature = key.SignData(SigningInput(nodeId, sequence, hash, timestamp, keyId, kind), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new AuditCheckpoint(nodeId, sequence, hash, timestamp, keyId, Base64Url(signature), kind);
    }

    /// <summary>Whether the signature holds under <paramref name="publicKey"/>.</summary>
    public bool VerifySignature(ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        byte[] signature;
        try
        {
            signature = FromBase64Url(Signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return publicKey.VerifyData(SigningInput(NodeId, Sequence, Hash, Timestamp, KeyId, Kind), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static byte[] FromBase64Url(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }
}
