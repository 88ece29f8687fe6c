using System.Numerics;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// ES256 signatures in their one canonical form. An ECDSA signature (r, s) has a twin (r, n − s) that verifies as well:
/// anyone can re-encode a token into a second, different string that is just as valid (malleability). The node signs
/// only with the low s (s ≤ n/2) and refuses a token whose s is high, so a token has exactly one spelling — what the
/// audit, the validated-token cache and any replay check see is the token that was issued.
/// </summary>
internal sealed class CanonicalEcdsa : ECDsa
{
    /// <summary>The order n of the P-256 group.</summary>
    private static readonly BigInteger Order = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    private static readonly BigInteger HalfOrder = Order >> 1;

    private readonly ECDsa _inner;

    /// <summary>Wraps a P-256 key (owned: disposed with this one).</summary>
    public CanonicalEcdsa(ECDsa inner)
    {
        _inner = inner;
        KeySizeValue = inner.KeySize;
        LegalKeySizesValue = inner.LegalKeySizes;
    }

    /// <summary>Whether the signature of a compact JWT is an ES256 signature with a high s (or not 64 bytes at all).</summary>
    public static bool HasNonCanonicalSignature(string? token)
    {
        if (token is null)
        {
            return false;
        }

        var last = token.LastIndexOf('.');
        if (last < 0 || token.Count(c => c == '.') != 2)
        {
            return false; // Not a compact JWS: the handler refuses it anyway.
        }

        byte[] signature;
        try
        {
            signature = Base64UrlEncoder.DecodeBytes(token[(last + 1)..]);
        }
        catch (FormatException)
        {
            return true;
        }

        return signature.Length != 64 || ToInteger(signature.AsSpan(32)) > HalfOrder;
    }

    /// <inheritdoc />
    public override byte[] SignHash(byte[] hash)
    {
        var signature = _inner.SignHash(hash);
        var s = ToInteger(signature.AsSpan(32));
        if (s > HalfOrder)
        {
            var low = (Order - s).ToByteArray(isUnsigned: true, isBigEndian: true);
            Array.Clear(signature, 32, 32);
            low.CopyTo(signature, 64 - low.Length);
        }

        return signature;
    }

    /// <inheritdoc />
    public override bool VerifyHash(byte[] hash, byte[] signature) => _inner.VerifyHash(hash, signature);

    /// <inheritdoc />
    public override ECParameters ExportParameters(bool includePrivateParameters) => _inner.ExportParameters(includePrivateParameters);

    /// <inheritdoc />
    public override ECParameters ExportExplicitParameters(bool includePrivateParameters) => _inner.ExportExplicitParameters(includePrivateParameters);

    /// <inheritdoc />
    public override void ImportParameters(ECParameters parameters) => _inner.ImportParameters(parameters);

    /// <inheritdoc />
    public override void GenerateKey(ECCurve curve) => _inner.GenerateKey(curve);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private static BigInteger ToInteger(ReadOnlySpan<byte> bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);
}
