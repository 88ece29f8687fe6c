using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace DataClauses.Cli.Commands;

/// <summary>
/// The CLI's side of the gateway's HTTP API: a client-credentials token, then authenticated calls. Problems
/// (RFC 9457) come back as JSON so that commands can print them as <c>file:line:col: message</c>.
/// </summary>
internal sealed class GatewayClient : IDisposable
{
    private readonly HttpClient _http;

    private GatewayClient(HttpClient http) => _http = http;

    /// <summary>Connects to <paramref name="server"/> with the client's credentials; throws <see cref="GatewayException"/> when refused.</summary>
    public static async Task<GatewayClient> ConnectAsync(Uri server, string clientId, string clientSecret, HttpMessageHandler? handler, CancellationToken cancellationToken)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = server;
        http.Timeout = Timeout.InfiniteTimeSpan;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["grant_type"] = "client_credentials",
                    ["scope"] = "api",
                }),
            };

            // RFC 6749 §2.3.1: the id and secret are form-encoded before the Basic encoding.
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(clientSecret)}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new GatewayException($"the gateway refused the client credentials ({(int)response.StatusCode}): {Describe(body)}");
            }

            using var json = JsonDocument.Parse(body);
            var token = json.RootElement.GetProperty("access_token").GetString();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return new GatewayClient(http);
        }
        catch (HttpRequestException ex)
        {
            http.Dispose();
            throw new GatewayException($"cannot reach {server}: {ex.Message}");
        }
        catch (JsonException)
        {
            http.Dispose();
            throw new GatewayException($"{server} did not answer like a DataClauses gateway");
        }
        catch (Exception)
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request; returns the status and the parsed JSON body (null when there is none).</summary>
    public async Task<(int Status, JsonElement? Body)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonElement? body = null;
            if (text.Length > 0)
            {
                try
                {
                    using var document = JsonDocument.Parse(text);
                    body = document.RootElement.Clone();
                }
                catch (JsonException)
                {
                    body = null;
                }
            }

            return ((int)response.StatusCode, body);
        }
        catch (HttpRequestException ex)
        {
            throw new GatewayException($"the connection to the gateway failed: {ex.Message}");
        }
    }

    /// <summary>Sends a request; returns the status, the body's bytes (a file) and, for a problem, its parsed JSON.</summary>
    public async Task<(int Status, byte[] Body, System.Net.Http.Headers.HttpResponseHeaders Headers, JsonElement? Problem)> SendForBytesAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            JsonElement? problem = null;
            if (!response.IsSuccessStatusCode && bytes.Length > 0)
            {
                try
                {
                    using var document = JsonDocument.Parse(bytes);
                    problem = document.RootElement.Clone();
                }
                catch (JsonException)
                {
                    problem = null;
                }
            }

            return ((int)response.StatusCode, bytes, response.Headers, problem);
        }
        catch (HttpRequestException ex)
        {
            throw new GatewayException($"the connection to the gateway failed: {ex.Message}");
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The problem's title and detail in one line.</summary>
    public static string Describe(JsonElement? problem)
    {
        if (problem is not { ValueKind: JsonValueKind.Object } body)
        {
            return "no details";
        }

        var title = body.TryGetProperty("title", out var t) ? t.GetString() : null;
        var detail = body.TryGetProperty("detail", out var d) ? d.GetString() : null;
        var type = body.TryGetProperty("type", out var ty) ? ty.GetString() : null;
        return string.Join(" — ", new[] { title, detail, type is null ? null : $"({type})" }.Where(s => !string.IsNullOrEmpty(s)));
    }

    private static string Describe(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return Describe(json.RootElement.Clone());
        }
        catch (JsonException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }
}

/// <summary>A refusal or failure of the gateway, reported to the user in one line.</summary>
internal sealed class GatewayException(string message) : Exception(message);
