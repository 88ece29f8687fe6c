using System.Net.Http.Headers;
using System.Numerics;
using System.Text;
using DataClauses.Gateway.FunctionalTests.Catalog;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace DataClauses.Gateway.FunctionalTests.Hostile;

/// <summary>
/// A host for hostile requests: its log lines captured, the CAF test schema declared (so that CSV uploads reach the
/// parser). Shared by the tests of a class; none of them moves the clock by more than a few seconds.
/// </summary>
public abstract class HostileHostFixture : IAsyncLifetime
{
    private GatewayHost? _host;

    public abstract StorageProvider Provider { get; }

    /// <summary>The host's log lines.</summary>
    public LogCapture Logs { get; } = new();

    public GatewayHost Host => _host ?? throw new InvalidOperationException("The gateway host has not started.");

    public async Task InitializeAsync()
    {
        _host = await GatewayHost.StartAsync(Provider, configure: Logs.AddTo);
        await Publishing.DeclareAsync(_host, Publishing.Caf);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

public sealed class SqliteHostileHost : HostileHostFixture
{
    public override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class PostgreSqlHostileHost : HostileHostFixture
{
    public override StorageProvider Provider => StorageProvider.PostgreSql;
}

/// <summary>Raw requests and token surgery the hostile tests share.</summary>
internal static class HostileRequests
{
    /// <summary>The order n of the P-256 group (ES256).</summary>
    public static readonly BigInteger P256Order = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Sends raw bytes with this content type (null: no Content-Type at all).</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, byte[]? body, string? contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }

        return await client.SendAsync(request);
    }

    /// <summary>UTF-8 of a text, with each '¤' replaced by the invalid byte 0xFF.</summary>
    public static byte[] Bytes(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text.Replace('¤', '\u0001'));
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == 1)
            {
                bytes[i] = 0xFF;
            }
        }

        return bytes;
    }

    /// <summary>The s of a compact JWT's ES256 signature.</summary>
    public static BigInteger SignatureS(string token)
    {
        var signature = Base64UrlEncoder.DecodeBytes(token[(token.LastIndexOf('.') + 1)..]);
        return new BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
    }

    /// <summary>The same token with its signature's twin (r, n − s): as valid mathematically, a different string.</summary>
    public static string Malleate(string token)
    {
        var dot = token.LastIndexOf('.');
        var signature = Base64UrlEncoder.DecodeBytes(token[(dot + 1)..]);
        var s = new BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var twin = (P256Order - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        Array.Clear(signature, 32, 32);
        twin.CopyTo(signature, 64 - twin.Length);
        return token[..(dot + 1)] + Base64UrlEncoder.Encode(signature);
    }
}
