using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Hosting;

/// <summary>
/// The origin every absolute URL the gateway writes starts with (discovery, JWKS, DCAT ids), and the built-in issuer
/// when none is configured: <c>DataClauses:PublicOrigin</c>, else the address Kestrel actually listens on (the demo).
/// Never the request's Host header, which the caller chooses.
/// </summary>
internal sealed class PublicOrigin(IOptions<GatewayOptions> options, IServer server)
{
    private string? _derived;

    /// <summary>The origin (scheme, host, port; no trailing slash).</summary>
    public string Value => options.Value.PublicOrigin is { Length: > 0 } configured ? configured.TrimEnd('/') : _derived ??= Derive();

    /// <summary>The built-in issuer (<c>iss</c>): <c>DataClauses:Identity:Issuer</c>, else <see cref="Value"/>.</summary>
    public string Issuer => options.Value.Identity.Issuer is { Length: > 0 } issuer ? issuer : Value;

    private string Derive()
    {
        // The first listening address; a wildcard host (0.0.0.0, [::], +, *) is reached locally as localhost.
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? GatewayApp.DefaultUrl;
        var scheme = address.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        var rest = address[(address.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        var host = colon > 0 && !rest.EndsWith(']') ? rest[..colon] : rest;
        var port = colon > 0 && !rest.EndsWith(']') ? rest[colon..] : string.Empty;
        if (host is "+" or "*" or "0.0.0.0" or "[::]")
        {
            host = "localhost";
        }

        return $"{scheme}://{host}{port}";
    }
}

/// <summary>Forwarded headers (X-Forwarded-For, X-Forwarded-Proto) believed only from the configured proxies.</summary>
internal static class ForwardedHeadersSetup
{
    public static IServiceCollection AddGatewayForwardedHeaders(this IServiceCollection services, IConfiguration configuration)
    {
        var proxies = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>()?.KnownProxies ?? [];
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            // With no known proxy the middleware would believe anyone (it checks addresses only when some are listed).
            o.ForwardedHeaders = proxies.Count == 0 ? ForwardedHeaders.None : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;

            // The framework trusts loopback by default; here nothing is trusted unless configured.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
            {
                if (TryParseProxy(proxy, out var address, out var network))
                {
                    if (address is not null)
                    {
                        o.KnownProxies.Add(address);
                    }
                    else
                    {
                        o.KnownIPNetworks.Add(network!.Value);
                    }
                }
            }
        });
        return services;
    }

    /// <summary>An address (<c>10.0.0.5</c>) or a network (<c>10.0.0.0/8</c>).</summary>
    public static bool TryParseProxy(string? text, out IPAddress? address, out System.Net.IPNetwork? network)
    {
        address = null;
        network = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            if (System.Net.IPNetwork.TryParse(text.Trim(), out var parsed))
            {
                network = parsed;
                return true;
            }

            return false;
        }

        return IPAddress.TryParse(text.Trim(), out address);
    }
}
