using System.Security.Cryptography;

namespace DataClauses.Policy.Model;

/// <summary>The public keys a contract may give for a signatory's node (see <see cref="NodeReference"/>).</summary>
public static class NodeKeys
{
    /// <summary>The EC P-256 key of a <c>publicKey</c> value (base64 of a DER SubjectPublicKeyInfo), or null when it is not one.</summary>
    public static ECDsa? Import(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        byte[] der;
        try
        {
            der = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            return null;
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(der, out var read);
            if (read == der.Length && key.KeySize == 256)
            {
                return key;
            }
        }
        catch (CryptographicException)
        {
            // Not a SubjectPublicKeyInfo, or not an EC key.
        }

        key.Dispose();
        return null;
    }

    /// <summary>Whether <paramref name="base64"/> is an EC P-256 public key the gateway can verify node assertions with.</summary>
    public static bool IsPublicKey(string base64)
    {
        using var key = Import(base64);
        return key is not null;
    }
}
