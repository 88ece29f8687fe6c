using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;

namespace DataClauses.Gateway.FunctionalTests.Federation;

/// <summary>
/// Three real gateway processes on loopback ports, each its own signatory's node with its own database and its own
/// synthetic data: the EPCI on PostgreSQL, the CAF and France Travail on SQLite. They load one contract file: the
/// demo contract whose node list names the three (by their JWKS addresses) and, for the tests' forged assertions, a
/// prefecture node whose public key the tests hold (<see cref="PrefectureKey"/>); no process runs as the prefecture.
/// The contract gives the CAF node's address as a relay in front of it (<see cref="CafRelay"/>), so that a test can
/// kill the node while a forwarded request is in it; the tests themselves call every node directly.
/// </summary>
public sealed class FederatedNodes : IAsyncLifetime
{
    private readonly List<TestDatabase> _databases = [];
    private readonly Dictionary<string, GatewayProcess> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _ports = new(StringComparer.Ordinal);
    private TcpRelay? _cafRelay;

    /// <summary>The key the test suite signs the prefecture's assertions with (its node is in the trust list).</summary>
    public ECDsa PrefectureKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>Where the contract file is.</summary>
    public string PoliciesPath { get; } = Path.Combine(Path.GetTempPath(), "dataclauses-federation-" + Guid.NewGuid().ToString("N"));

    /// <summary>The SHA-256 (hex) of the contract file every node loads.</summary>
    public string ContractHash { get; private set; } = string.Empty;

    public const string Epci = "epci-demo";
    public const string Caf = "caf-44";
    public const string FranceTravail = "ft-pdl";
    public const string Contract = "cdv-demo-2024-2030";

    internal GatewayProcess this[string node] => _nodes[node];

    public TestDatabase DatabaseOf(string node) => _databases[node switch { Epci => 0, Caf => 1, _ => 2 }];

    public Uri UrlOf(string node) => new($"http://127.0.0.1:{_ports[node]}/");

    /// <summary>Where the contract says the node is (the CAF's: its relay).</summary>
    public Uri ContractUrlOf(string node) => node == Caf ? new($"http://127.0.0.1:{CafRelay.Port}/") : UrlOf(node);

    /// <summary>The relay the other nodes reach the CAF node through.</summary>
    internal TcpRelay CafRelay => _cafRelay ?? throw new InvalidOperationException("The nodes are not started.");

    public async Task InitializeAsync()
    {
        foreach (var node in new[] { Epci, Caf, FranceTravail })
        {
            _ports[node] = FreePort();
        }

        _cafRelay = new TcpRelay(_ports[Caf]);
        Directory.CreateDirectory(PoliciesPath);
        var text = await File.ReadAllTextAsync(Path.Combine(GatewayProcess.PoliciesPath, Contract + ".yaml"));
        text = Node(text, "epci-demo", "https://data.metropole-demo.example", UrlOf(Epci));
        text = Node(text, "caf-44", "https://data.caf44-demo.example", ContractUrlOf(Caf));
        text = text.Replace(
            "    dpo: dpo@ft-pdl-demo.example\n",
            $"    dpo: dpo@ft-pdl-demo.example\n    node:\n      url: {UrlOf(FranceTravail).ToString().TrimEnd('/')}\n      jwks: {UrlOf(FranceTravail)}.well-known/jwks.json\n",
            StringComparison.Ordinal);
        text = text.Replace(
            "    dpo: dpo@prefecture-demo.example\n",
            $"    dpo: dpo@prefecture-demo.example\n    node:\n      url: https://data.prefecture-demo.example\n      publicKey: \"{Convert.ToBase64String(PrefectureKey.ExportSubjectPublicKeyInfo())}\"\n",
            StringComparison.Ordinal);
        var file = Path.Combine(PoliciesPath, Contract + ".yaml");
        await File.WriteAllTextAsync(file, text);
        ContractHash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file)));

        _databases.Add(await TestDatabase.CreateAsync(StorageProvider.PostgreSql));
        _databases.Add(await TestDatabase.CreateAsync(StorageProvider.Sqlite));
        _databases.Add(await TestDatabase.CreateAsync(StorageProvider.Sqlite));
        var starts = new[] { Epci, Caf, FranceTravail }.Select((node, i) => (node, task: StartAsync(node, _databases[i]))).ToList();
        foreach (var (node, task) in starts)
        {
            _nodes[node] = await task;
        }
    }

    /// <summary>
    /// Starts (or restarts, on its database and port) the node of <paramref name="node"/>, on the shared contract
    /// file or on the one in <paramref name="policiesPath"/>.
    /// </summary>
    internal async Task<GatewayProcess> StartAsync(string node, TestDatabase database, string? policiesPath = null)
    {
        var gateway = await StartProcessAsync(node, database, UrlOf(node), policiesPath ?? PoliciesPath);
        _nodes[node] = gateway;
        return gateway;
    }

    /// <summary>Starts another replica of <paramref name="node"/> on its database, on a port of its own (the caller disposes it).</summary>
    internal Task<GatewayProcess> StartReplicaAsync(string node) =>
        StartProcessAsync(node, DatabaseOf(node), new Uri($"http://127.0.0.1:{FreePort()}/"), PoliciesPath);

    private static Task<GatewayProcess> StartProcessAsync(string node, TestDatabase database, Uri url, string policiesPath) =>
        GatewayProcess.StartAsync(
            database,
            new Dictionary<string, string>
            {
                ["DataClauses__NodeId"] = node,
                ["DataClauses__PoliciesPath"] = policiesPath,
                ["DataClauses__Federation__Enabled"] = "true",
                ["DataClauses__Federation__PeerTimeout"] = "00:00:10",
                ["DataClauses__Federation__CatalogRefreshInterval"] = "00:00:02",
                ["DataClauses__SeedDemoDatasets"] = "true",
            },
            url.ToString().TrimEnd('/'));

    /// <summary>A client of <paramref name="node"/> with a demo account's access token issued by that node.</summary>
    public async Task<HttpClient> ClientAsync(string node, string organisation, string role)
    {
        var client = new HttpClient { BaseAddress = UrlOf(node), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(_nodes[node].Http, organisation, role));
        return client;
    }

    /// <summary>A demo account's access token from the gateway <paramref name="http"/> talks to (client credentials).</summary>
    public static async Task<string> TokenAsync(HttpClient http, string organisation, string role)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(HttpMethod.Post, "connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        var credentials = Uri.EscapeDataString(Demo.DemoAccounts.ClientId(organisation, role)) + ":" + Uri.EscapeDataString(Demo.DemoAccounts.Secret(organisation, role));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        using var token = JsonDocument.Parse(body);
        return token.RootElement.GetProperty("access_token").GetString()!;
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            await node.DisposeAsync();
        }

        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }

        if (_cafRelay is not null)
        {
            await _cafRelay.DisposeAsync();
        }

        PrefectureKey.Dispose();
        Directory.Delete(PoliciesPath, recursive: true);
    }

    private static string Node(string text, string id, string demoUrl, Uri url)
    {
        text.ShouldContain($"      url: {demoUrl}\n      jwks: {demoUrl}/.well-known/jwks.json\n", customMessage: $"the demo contract lists the node of {id}");
        return text.Replace(
            $"      url: {demoUrl}\n      jwks: {demoUrl}/.well-known/jwks.json\n",
            $"      url: {url.ToString().TrimEnd('/')}\n      jwks: {url}.well-known/jwks.json\n",
            StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
