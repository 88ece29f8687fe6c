using System.Security.Claims;
using System.Security.Cryptography;
using DataClauses.Gateway.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.Tests.Identity;

/// <summary>
/// The built-in issuer's token handler remembers a token only once fully valid, until its expiry by the injected
/// clock and while its key validates, and hands out copies of the identity.
/// </summary>
public sealed class ValidatedTokenCacheTests : IDisposable
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
    private readonly ECDsa _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsaSecurityKey _key;
    private bool _keyValidates = true;

    // The node signs in the canonical low-s form; the memory refuses a high-s signature before anything else.
    public ValidatedTokenCacheTests() => _key = new ECDsaSecurityKey(new CanonicalEcdsa(_ecdsa)) { KeyId = "k1" };

    [Fact]
    public async Task Valid_token_is_remembered_and_each_hit_gets_its_own_copy_of_the_identity()
    {
        var cache = new ValidatedTokenCache(_clock, _ => _keyValidates);
        var token = Token(minutes: 10);

        var first = await cache.ValidateTokenAsync(token, Parameters());
        first.ClaimsIdentity.AddClaim(new Claim("added-by-a-request", "x"));
        var second = await cache.ValidateTokenAsync(token, Parameters());

        first.IsValid.ShouldBeTrue();
        second.IsValid.ShouldBeTrue();
        cache.Count.ShouldBe(1);
        second.ClaimsIdentity.FindFirst("org")!.Value.ShouldBe("caf-44");
        second.ClaimsIdentity.HasClaim(c => c.Type == "added-by-a-request").ShouldBeFalse();
    }

    [Fact]
    public async Task Remembered_token_is_refused_once_expired_by_the_injected_clock()
    {
        var cache = new ValidatedTokenCache(_clock, _ => _keyValidates);
        var token = Token(minutes: 10);
        (await cache.ValidateTokenAsync(token, Parameters())).IsValid.ShouldBeTrue();

        _clock.Advance(TimeSpan.FromMinutes(11));
        var late = await cache.ValidateTokenAsync(token, Parameters());

        late.IsValid.ShouldBeFalse();
        late.Exception.ShouldBeOfType<SecurityTokenExpiredException>();
        cache.Count.ShouldBe(0);
    }

    [Fact]
    public async Task Remembered_token_is_checked_again_once_its_key_no_longer_validates()
    {
        var cache = new ValidatedTokenCache(_clock, _ => _keyValidates);
        var token = Token(minutes: 10);
        (await cache.ValidateTokenAsync(token, Parameters())).IsValid.ShouldBeTrue();

        _keyValidates = false;
        var parameters = Parameters();
        parameters.IssuerSigningKeys = [];
        parameters.IssuerSigningKey = null;
        var afterRotation = await cache.ValidateTokenAsync(token, parameters);

        afterRotation.IsValid.ShouldBeFalse("the key left the JWKS: the full check runs again and fails");
    }

    [Fact]
    public async Task Invalid_tokens_are_never_remembered()
    {
        var cache = new ValidatedTokenCache(_clock, _ => _keyValidates);
        var wrongAudience = Parameters();
        wrongAudience.ValidAudience = "someone-else";

        (await cache.ValidateTokenAsync(Token(minutes: 10), wrongAudience)).IsValid.ShouldBeFalse();
        (await cache.ValidateTokenAsync("not-a-token", Parameters())).IsValid.ShouldBeFalse();

        cache.Count.ShouldBe(0);
    }

    public void Dispose() => _ecdsa.Dispose();

    private TokenValidationParameters Parameters() => new()
    {
        ValidIssuer = "http://issuer.test",
        ValidAudience = "dataclauses",
        IssuerSigningKey = _key,
        ValidTypes = ["at+jwt"],
        ClockSkew = TimeSpan.Zero,
        LifetimeValidator = (notBefore, expires, _, parameters) => AuthenticationSetup.ValidateLifetime(notBefore, expires, parameters, _clock),
    };

    private string Token(int minutes)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "http://issuer.test",
            Audience = "dataclauses",
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(minutes),
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>(StringComparer.Ordinal) { ["sub"] = "caf-44-admin", ["org"] = "caf-44" },
        });
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
