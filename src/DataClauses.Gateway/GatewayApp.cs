using DataClauses.Gateway.Audit;
using DataClauses.Gateway.Catalog;
using DataClauses.Gateway.Contracts;
using DataClauses.Gateway.Demo;
using DataClauses.Gateway.Extracts;
using DataClauses.Gateway.Federation;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Gateway.Queries;
using DataClauses.Gateway.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway;

/// <summary>Builds the gateway host; tests call the same code with their own configuration.</summary>
public static partial class GatewayApp
{
    /// <summary>The address the embedded default listens on.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Builds the application with its services and endpoints.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The web root ships next to the binary too (the DSFR copied at build time), wherever the process starts.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot") });

        // The defaults shipped next to the binary come first, so that the content root, environment and command line override them.
        var shipped = new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            Path = Path.Combine(AppContext.BaseDirectory, "appsettings.json"),
            Optional = true,
        };
        shipped.ResolveFileProvider();
        builder.Configuration.Sources.Insert(0, shipped);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        configure?.Invoke(builder);
        builder.AddGatewayServices();
        var app = builder.Build();
        app.UseGatewayPipeline();
        return app;
    }

    /// <summary>Validates options, loads contracts, migrates and seeds storage before serving; prints where it listens.</summary>
    public static async Task InitialiseAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Resolving these validates every option and every contract now, with all errors at once.
        _ = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        _ = app.Services.GetRequiredService<ContractCatalog>();
        await app.Services.GetRequiredService<DatabaseInitializer>().InitialiseAsync(app.Lifetime.ApplicationStopping);
        app.Lifetime.ApplicationStarted.Register(() => PrintBanner(app));
    }

    private static void AddGatewayServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        // TryAdd: a host (the functional tests) may register its own clock before this runs.
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Customize);
        services.AddExceptionHandler<UnexpectedExceptionHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.KebabCaseLower));
        });
        builder.WebHost.ConfigureKestrel(o =>
        {
            // Small bodies by default; the upload endpoint raises its own limit (DataClauses:Limits:MaxUploadBytes).
            o.Limits.MaxRequestBodySize = 1024 * 1024;
            o.AddServerHeader = false;
        });

        services.AddSingleton<ContractCatalog>();
        services.AddSingleton<Commitments>();
        services.AddSingleton<PolicyDecisions>();
        services.AddGatewayStorage();
        services.AddDatabaseKeyRing(builder.Configuration);
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<DatabaseInitializer>();
        services.AddScoped<DemoDataSeeder>();
        services.AddScoped<AuditService>();
        services.AddSingleton<AuditAppender>();
        services.AddAudit();
        services.AddCatalog();
        services.AddSingleton<IPublishedDatasets, PublishedDatasets>();
        services.AddQueries();
        services.AddExtracts();
        services.AddGatewayAuthorizationServer(builder.Configuration);
        services.AddGatewayAuthentication(builder.Configuration);
        services.AddFederation(builder.Configuration);
        services.AddPeopleSignIn();
        services.AddSingleton<PublicOrigin>();
        services.AddGatewayForwardedHeaders(builder.Configuration);
        services.AddGatewayRateLimits(builder.Configuration);
        services.AddGatewayHealthChecks();
        services.AddGatewayTelemetry(builder.Configuration);
        services.AddOpenApi("v1");
        services.AddGatewayPages();
    }

    private static void UseGatewayPipeline(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseGatewayStatusCodePages();
        app.UseCorrelationId();
        app.UseIdentifierCheck();
        app.UseGatewayStaticFiles();
        app.UsePageSecurityHeaders();

        // Before authentication: OpenIddict authenticates clients at the token endpoint inside UseAuthentication.
        app.UseTokenRateLimiter();
        app.UseGatewayAuthentication();
        app.UseGatewayRateLimiter();
        app.UseAuthorization();

        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/openapi/v1.json", "DataClauses API v1");
            o.RoutePrefix = "api-docs";
            o.DocumentTitle = "DataClauses API";
        });
        app.MapGatewayHealthChecks();
        app.MapAuthorizationServer();
        app.MapPeopleSignIn();
        app.MapAdminClientsApi();
        app.MapCatalog();
        PeerCatalogs.MapPeerCatalog(app);
        app.MapCatalogApi();
        app.MapContractsApi();
        app.MapQueries();
        app.MapAuditApi();
        app.MapExtracts();
        app.MapBenchmarkEndpoints();
        app.MapRazorPages();
    }

    private static void PrintBanner(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DataClauses.Gateway");
        LogListening(logger, string.Join(", ", app.Urls), options.Storage.Provider, options.NodeId);
        if (!options.SeedDemo)
        {
            return;
        }

        // Demo credentials only: they exist because SeedDemo is on, and they are documented in README.md.
        var lines = DemoAccounts.All.Select(a =>
            $"  {a.Organisation,-20} {DemoAccounts.RoleOf(a.Role),-10} client {DemoAccounts.ClientId(a.Organisation, a.Role),-32} secret {DemoAccounts.Secret(a.Organisation, a.Role)}");
        Console.WriteLine($"""

            DataClauses gateway — demo node '{options.NodeId}' (synthetic data only)
            Listening on: {string.Join(", ", app.Urls)}   API docs: {app.Urls.FirstOrDefault()}/api-docs
            Demo clients (POST /connect/token, grant_type=client_credentials); people sign in at {app.Urls.FirstOrDefault()}/connexion as role@organisation with password Demo-<organisation>-<role>!
            {string.Join(Environment.NewLine, lines)}

            """);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "DataClauses gateway listening on {Urls} with {Provider} storage as node {NodeId}")]
    private static partial void LogListening(ILogger logger, string urls, string provider, string nodeId);
}
