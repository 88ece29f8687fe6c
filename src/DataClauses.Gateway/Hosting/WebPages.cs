using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.ApplicationModels;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Hosting;

/// <summary>
/// The web portal's plumbing: Razor Pages, the static files of the web root (the DSFR), the security headers of every
/// page, and status code pages that answer a browser with the French "page introuvable" page while every API client
/// keeps its RFC 9457 problem.
/// </summary>
internal static class WebPages
{
    /// <summary>The page a browser's 404 is re-executed to (it answers 404 itself when asked for directly).</summary>
    public const string NotFoundPath = "/introuvable";

    /// <summary>Only the site itself: no inline script or style, no frame, no plug-in; data: images for the DSFR's CSS.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>An <c>HttpContext.Items</c> key: origins (space-separated) a page's forms may also be sent to.</summary>
    public const string FormActionSourcesKey = "dataclauses.form-action";

    private const string GlobalRouteBuilderKey = "__GlobalEndpointRouteBuilder";

    // Paths of machine clients: their errors stay problems whatever their Accept header says.
    private static readonly string[] MachinePrefixes = ["/api", "/connect", "/.well-known", "/openapi", "/healthz", "/readyz"];

    public static IServiceCollection AddGatewayPages(this IServiceCollection services)
    {
        services.AddRazorPages();

        // French text stays readable in the HTML (é, ’, —) instead of numeric entities; markup is still encoded.
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
            o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        return services;
    }

    /// <summary>The web root's files, before authentication (they are public) with cache headers and nosniff.</summary>
    public static IApplicationBuilder UseGatewayStaticFiles(this IApplicationBuilder app) => app.UseStaticFiles(new StaticFileOptions
    {
        ContentTypeProvider = new FileExtensionContentTypeProvider { Mappings = { [".webmanifest"] = "application/manifest+json" } },
        OnPrepareResponse = context =>
        {
            var headers = context.Context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";

            // A link written with asp-append-version carries the file's hash (?v=): that URL never changes content.
            headers.CacheControl = context.Context.Request.Query.ContainsKey("v")
                ? "public, max-age=31536000, immutable"
                : "public, max-age=86400";
        },
    });

    /// <summary>
    /// Problems for API clients (as before), the French 404 page for a browser asking for a page: a GET or HEAD that
    /// accepts text/html, outside the machine paths.
    /// </summary>
    public static IApplicationBuilder UseGatewayStatusCodePages(this IApplicationBuilder app) => app.Use(next =>
    {
        // The re-executed request must be routed again (WebApplication's routing ran before this middleware), against
        // the application's endpoints: a branch of a WebApplication starts without them, as the framework's own
        // re-execution knows (RerouteHelper).
        var reroute = app.New();
        if (app.Properties.TryGetValue(GlobalRouteBuilderKey, out var routes))
        {
            reroute.Properties[GlobalRouteBuilderKey] = routes;
        }

        reroute.UseRouting();
        reroute.Run(next);
        var rerouted = reroute.Build();

        var options = new StatusCodePagesOptions();
        var problem = options.HandleAsync;
        options.HandleAsync = context => IsBrowserPageRequest(context.HttpContext) && context.HttpContext.Response.StatusCode == StatusCodes.Status404NotFound
            ? ReExecuteAsync(context.HttpContext, rerouted)
            : problem(context);
        return new StatusCodePagesMiddleware(next, Options.Create(options)).Invoke;
    });

    /// <summary>Adds the security headers to every response that a Razor Page writes (not to Swagger UI nor to the API).</summary>
    public static IApplicationBuilder UsePageSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<PageRouteMetadata>() is not null)
            {
                var headers = context.Response.Headers;
                // A page whose form redirects to another site (sign-in with a provider) names it: browsers check
                // form-action on every redirect that follows a form submission.
                headers.ContentSecurityPolicy = context.Items[FormActionSourcesKey] is string sources
                    ? ContentSecurityPolicy.Replace("form-action 'self'", "form-action 'self' " + sources, StringComparison.Ordinal)
                    : ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()";
            }

            return Task.CompletedTask;
        });
        return next(context);
    });

    internal static bool IsBrowserPageRequest(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return false;
        }

        var path = request.Path;
        if (MachinePrefixes.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        return request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The framework's re-execution (UseStatusCodePagesWithReExecute), for the browser's requests only.</summary>
    private static async Task ReExecuteAsync(HttpContext context, RequestDelegate rerouted)
    {
        var originalPath = context.Request.Path;
        var originalQuery = context.Request.QueryString;
        var routeValues = context.Features.Get<IRouteValuesFeature>();
        context.Features.Set<IStatusCodeReExecuteFeature>(new StatusCodeReExecuteFeature
        {
            OriginalPathBase = context.Request.PathBase.Value!,
            OriginalPath = originalPath.Value!,
            OriginalQueryString = originalQuery.HasValue ? originalQuery.Value : null,
            Endpoint = context.GetEndpoint(),
            RouteValues = routeValues?.RouteValues,
        });
        context.SetEndpoint(null);
        if (routeValues is not null)
        {
            routeValues.RouteValues = null!;
        }

        context.Request.Path = NotFoundPath;
        context.Request.QueryString = QueryString.Empty;
        try
        {
            await rerouted(context);
        }
        finally
        {
            context.Request.Path = originalPath;
            context.Request.QueryString = originalQuery;
            context.Features.Set<IStatusCodeReExecuteFeature?>(null);
        }
    }
}
