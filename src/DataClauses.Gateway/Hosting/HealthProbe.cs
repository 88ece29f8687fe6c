namespace DataClauses.Gateway.Hosting;

/// <summary>
/// <c>--healthcheck [url]</c>: asks a running gateway's <c>/healthz</c> and exits 0 when it answers 200, 1 otherwise.
/// The container image has neither wget nor curl; this runs with the runtime already in it.
/// </summary>
internal static class HealthProbe
{
    /// <summary>Where the container's gateway listens (ASPNETCORE_URLS of deploy/Dockerfile).</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080/healthz";

    public static async Task<int> RunAsync(string? url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url ?? DefaultUrl, UriKind.Absolute, out var target) || target.Scheme is not ("http" or "https"))
        {
            await Console.Error.WriteLineAsync($"--healthcheck: '{url}' is not an http(s) URL");
            return 2;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(8) };
        try
        {
            using var response = await http.GetAsync(target, cancellationToken);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"--healthcheck: {target} does not answer ({ex.Message})");
            return 1;
        }
    }
}
