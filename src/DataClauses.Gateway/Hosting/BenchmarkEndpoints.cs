namespace DataClauses.Gateway.Hosting;

/// <summary>
/// The baseline of the protected-queries load benchmark (<c>tests/DataClauses.Benchmarks/queries/run-query-benchmark.sh</c>,
/// docs/BENCHMARKS.md, "Protected queries over HTTP"): a plain endpoint that returns bytes held in memory, so that the
/// protected query can be measured as a ratio of what this server, on this machine, does in the same run without any
/// of the query's work (no token validation, no rate limiting, no policy decision, no cube, no serialisation, no audit).
/// <para>
/// <b>Off by default; mapped only when configuration <c>DataClauses:Benchmark:PlainEndpoint</c> is <c>true</c>. It must
/// never be enabled in production</b>: both routes are anonymous, unaudited and unlimited, and the bytes it serves are
/// whatever was last uploaded.
/// </para>
/// <list type="bullet">
/// <item><c>PUT /benchmark/plain</c>: keeps the request body (at most 1 MiB, the server's default body limit) and its
/// <c>Content-Type</c> in memory, replacing the previous ones; 204. The benchmark uploads the body of a real protected
/// answer (<c>POST /api/v1/queries</c>) that it captured once at start-up, so that both endpoints send the same bytes.</item>
/// <item><c>POST /benchmark/plain</c>: 200 with exactly those bytes and that <c>Content-Type</c> (the request body, the
/// same query JSON the benchmark sends to the query endpoint, is not read); 404 before any upload.</item>
/// </list>
/// </summary>
internal static partial class BenchmarkEndpoints
{
    /// <summary>The configuration flag that maps the endpoints.</summary>
    public const string FlagKey = "DataClauses:Benchmark:PlainEndpoint";

    /// <summary>The route of both endpoints.</summary>
    public const string Path = "/benchmark/plain";

    private const int MaxBytes = 1024 * 1024;

    /// <summary>Maps the plain endpoint when <see cref="FlagKey"/> is true; does nothing otherwise.</summary>
    public static WebApplication MapBenchmarkEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Configuration.GetValue(FlagKey, defaultValue: false))
        {
            return app;
        }

        LogEnabled(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BenchmarkEndpoints).FullName!), Path, FlagKey);
        var held = new PlainAnswer();
        app.MapPut(Path, async (HttpContext http, CancellationToken cancellationToken) =>
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                {
                    return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
                }

                buffer.Write(chunk, 0, read);
            }

            held.Set(buffer.ToArray(), http.Request.ContentType ?? "application/octet-stream");
            return Results.NoContent();
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(Path, () => held.Get() is { } answer ? Results.Bytes(answer.Body, answer.ContentType) : Results.NotFound())
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "The benchmark endpoint {Path} is enabled ({Flag}=true): anonymous and unaudited, never enable it in production")]
    private static partial void LogEnabled(ILogger logger, string path, string flag);

    /// <summary>The bytes and content type served, replaced as a whole by each upload.</summary>
    private sealed class PlainAnswer
    {
        private Answer? _answer;

        public Answer? Get() => Volatile.Read(ref _answer);

        public void Set(byte[] body, string contentType) => Volatile.Write(ref _answer, new Answer(body, contentType));
    }

    private sealed record Answer(byte[] Body, string ContentType);
}
