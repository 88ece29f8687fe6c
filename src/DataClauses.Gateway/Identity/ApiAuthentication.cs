using Microsoft.AspNetCore.Authentication;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// Authentication in the pipeline. A request under <c>/api</c> is never a protocol request (token, authorize,
/// discovery, a sign-in callback): it only authenticates the default bearer scheme, and skips the per-request
/// interception by every <see cref="IAuthenticationRequestHandler"/> (OpenIddict's server builds a transaction and runs
/// its request handlers on every request it sees) — measured on protected queries in docs/BENCHMARKS.md. Every other
/// path gets ASP.NET Core's full authentication middleware, and the pages then see the person of the
/// <see cref="PeopleAuthentication.Scheme"/> session cookie (never used under <c>/api</c>: no cross-site request there).
/// </summary>
internal static class ApiAuthentication
{
    public static IApplicationBuilder UseGatewayAuthentication(this IApplicationBuilder app)
    {
        app.UseWhen(context => !IsApi(context), branch => branch.UseAuthentication().Use(async (context, next) =>
        {
            if (context.User.Identity?.IsAuthenticated != true)
            {
                var session = await context.AuthenticateAsync(PeopleAuthentication.Scheme);
                if (session.Succeeded)
                {
                    context.User = session.Principal;
                }
            }

            await next(context);
        }));
        app.UseWhen(IsApi, branch => branch.Use(async (context, next) =>
        {
            // What AuthenticationMiddleware does after its request handlers: the default scheme's principal, if any.
            var result = await context.AuthenticateAsync();
            if (result.Principal is not null)
            {
                context.User = result.Principal;
            }

            await next(context);
        }));
        return app;
    }

    private static bool IsApi(HttpContext context) => context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);
}
