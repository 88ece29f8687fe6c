using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace DataClauses.Gateway.FunctionalTests.Catalog;

/// <summary>An HTTP/1.1 response as read off the wire.</summary>
/// <param name="Status">Status code.</param>
/// <param name="Headers">Header fields (names compared without case; the last value of a repeated field).</param>
/// <param name="Body">The body, de-chunked, as text.</param>
internal sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Body);
        return document.RootElement.Clone();
    }
}

/// <summary>
/// A bare HTTP/1.1 connection, for what HttpClient does not let a test do: declare a Content-Length and send only a
/// few bytes of it, or keep a chunked body growing, while reading the answer the server gives before the body ends.
/// </summary>
internal sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawHttpConnection> ConnectAsync(Uri baseAddress)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(baseAddress.Host, baseAddress.Port);
            return new RawHttpConnection(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Writes a request head: request line, Host, then these header lines.</summary>
    public Task SendHeadAsync(string method, string path, Uri baseAddress, params string[] headers)
    {
        var head = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{method} {path} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\n");
        foreach (var header in headers)
        {
            head.Append(header).Append("\r\n");
        }

        return SendAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
    }

    public async Task SendAsync(byte[] bytes, CancellationToken cancellationToken = default)
    {
        await _stream.WriteAsync(bytes, cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    /// <summary>Writes one chunk of a chunked body.</summary>
    public Task SendChunkAsync(byte[] data, CancellationToken cancellationToken = default)
    {
        var frame = new byte[data.Length + 16];
        var prefix = Encoding.ASCII.GetBytes(data.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
        prefix.CopyTo(frame, 0);
        data.CopyTo(frame, prefix.Length);
        frame[prefix.Length + data.Length] = (byte)'\r';
        frame[prefix.Length + data.Length + 1] = (byte)'\n';
        return SendAsync(frame[..(prefix.Length + data.Length + 2)], cancellationToken);
    }

    /// <summary>Reads one response: status line, headers, and a Content-Length, chunked or read-to-close body.</summary>
    public async Task<RawHttpResponse> ReadResponseAsync(CancellationToken cancellationToken)
    {
        var statusLine = await ReadLineAsync(cancellationToken) ?? throw new IOException("The server closed the connection without answering.");
        var status = int.Parse(statusLine.Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (await ReadLineAsync(cancellationToken) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var body = new MemoryStream();
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var size = int.Parse((await ReadLineAsync(cancellationToken))!.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    await ReadLineAsync(cancellationToken);
                    break;
                }

                await ReadExactlyAsync(body, size, cancellationToken);
                await ReadLineAsync(cancellationToken);
            }
        }
        else if (headers.TryGetValue("Content-Length", out var length))
        {
            await ReadExactlyAsync(body, int.Parse(length, CultureInfo.InvariantCulture), cancellationToken);
        }
        else
        {
            while (await FillAsync(cancellationToken))
            {
                body.Write(_buffer, _start, _end - _start);
                _start = _end;
            }
        }

        return new RawHttpResponse(status, headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    /// <summary>Cuts the connection at once with a TCP reset, as a crashed client or a network failure would.</summary>
    public void Reset()
    {
        _client.Client.LingerState = new LingerOption(true, 0);
        _client.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new MemoryStream();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                return line.Length == 0 ? null : Encoding.ASCII.GetString(line.ToArray());
            }

            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline < 0)
            {
                line.Write(_buffer, _start, _end - _start);
                _start = _end;
                continue;
            }

            line.Write(_buffer, _start, newline - _start);
            _start = newline + 1;
            var text = Encoding.ASCII.GetString(line.ToArray());
            return text.EndsWith('\r') ? text[..^1] : text;
        }
    }

    private async Task ReadExactlyAsync(MemoryStream destination, int count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                throw new IOException("The server closed the connection in the middle of a body.");
            }

            var take = Math.Min(count, _end - _start);
            destination.Write(_buffer, _start, take);
            _start += take;
            count -= take;
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await _stream.ReadAsync(_buffer, cancellationToken);
        return _end > 0;
    }
}
