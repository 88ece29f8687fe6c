using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// The built-in issuer's token handler, remembering tokens it has already validated: an analyst's script sends the
/// same access token with every request for its 10 minutes, and checking its ECDSA signature each time was the largest
/// single cost of a protected query. A token is remembered only once fully valid (signature, issuer, audience, type,
/// lifetime), and only until its own expiry by the injected clock and while the key that signed it still validates;
/// failures are never remembered. Each hit hands out a copy of the identity, so nothing a request adds to it leaks into the
/// next one.
/// </summary>
internal sealed class ValidatedTokenCache(TimeProvider clock, Func<string?, bool> keyValidates) : JsonWebTokenHandler
{
    /// <summary>At most this many tokens are remembered; past it the memory is cleared and fills again.</summary>
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _valid = new(StringComparer.Ordinal);

    /// <summary>Tokens remembered now (for tests).</summary>
    public int Count => _valid.Count;

    /// <inheritdoc />
    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        // A re-encoded (high-s) signature is refused before the cache: it must neither validate nor be remembered.
        if (CanonicalEcdsa.HasNonCanonicalSignature(token))
        {
            return new TokenValidationResult { IsValid = false, Exception = new SecurityTokenInvalidSignatureException("The token's ES256 signature is not in its canonical (low-s) form.") };
        }

        var now = clock.GetUtcNow().UtcDateTime;
        if (token is not null && _valid.TryGetValue(token, out var known))
        {
            if (known.Expires > now && keyValidates(known.KeyId))
            {
                return new TokenValidationResult
                {
                    IsValid = true,
                    ClaimsIdentity = known.Result.ClaimsIdentity.Clone(),
                    SecurityToken = known.Result.SecurityToken,
                    Issuer = known.Result.Issuer,
                    TokenType = known.Result.TokenType,
                };
            }

            _valid.TryRemove(token, out _);
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && token is not null && result.SecurityToken is JsonWebToken jwt && jwt.ValidTo > now)
        {
            if (_valid.Count >= Capacity)
            {
                _valid.Clear();
            }

            _valid[token] = new Entry(result, jwt.ValidTo, jwt.Kid);
            return new TokenValidationResult
            {
                IsValid = true,
                ClaimsIdentity = result.ClaimsIdentity.Clone(),
                SecurityToken = result.SecurityToken,
                Issuer = result.Issuer,
                TokenType = result.TokenType,
            };
        }

        return result;
    }

    private sealed record Entry(TokenValidationResult Result, DateTime Expires, string? KeyId);
}
