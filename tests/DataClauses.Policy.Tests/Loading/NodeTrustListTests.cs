using System.Security.Cryptography;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Tests.Loading;

/// <summary>
/// The federation trust list: each signatory's node gives its URL and either its public key (checked to be an EC
/// P-256 SubjectPublicKeyInfo) or its JWKS address, never both and never neither; errors land on the demo's line.
/// </summary>
public sealed class NodeTrustListTests
{
    private const string File = "cdv-demo-2024-2030.yaml";
    private const string EpciJwks = "      jwks: https://data.metropole-demo.example/.well-known/jwks.json";

    private static LoadResult After(string line, string replacement)
    {
        var text = System.IO.File.ReadAllText(Paths.DemoContract);
        text.ShouldContain(line + "\n");
        return ContractLoader.LoadText(File, text.Replace(line + "\n", replacement + "\n", StringComparison.Ordinal));
    }

    [Fact]
    public void The_demo_nodes_are_given_by_their_jwks_address()
    {
        var contract = ContractLoader.LoadText(File, System.IO.File.ReadAllText(Paths.DemoContract)).Contracts.ShouldHaveSingleItem();
        var node = contract.FindSignatory("epci-demo")!.Node.ShouldNotBeNull();
        node.ShouldBe(new NodeReference("https://data.metropole-demo.example", null, "https://data.metropole-demo.example/.well-known/jwks.json"));
    }

    [Fact]
    public void A_generated_p256_public_key_is_accepted_and_imports_to_the_same_key()
    {
        for (var i = 0; i < 5; i++)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var spki = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
            var result = After(EpciJwks, $"      publicKey: \"{spki}\"");
            result.Errors.ShouldBeEmpty();
            var node = result.Contracts.Single().FindSignatory("epci-demo")!.Node!;
            node.PublicKey.ShouldBe(spki);
            node.Jwks.ShouldBeNull();
            using var imported = NodeKeys.Import(node.PublicKey!).ShouldNotBeNull();
            imported.ExportSubjectPublicKeyInfo().ShouldBe(key.ExportSubjectPublicKeyInfo());
        }
    }

    [Theory]
    [InlineData("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEdemoEpciKeyPlaceholder0000000000000000000000000000000000000000000000000000000==")]
    [InlineData("not base64 at all")]
    public void A_public_key_that_is_not_an_ec_p256_key_is_refused_on_its_line(string value)
    {
        After(EpciJwks, $"      publicKey: \"{value}\"").Errors.Select(e => e.ToString()).ShouldBe(
        [
            $"{File}:42:18: error invalid-value: the node's publicKey must be the base64 of a DER SubjectPublicKeyInfo of an EC P-256 key (openssl ec -pubout -outform DER | base64 -w0)",
        ]);
    }

    [Fact]
    public void An_rsa_or_p384_key_is_refused()
    {
        using var rsa = RSA.Create(2048);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        foreach (var der in new[] { rsa.ExportSubjectPublicKeyInfo(), p384.ExportSubjectPublicKeyInfo() })
        {
            NodeKeys.IsPublicKey(Convert.ToBase64String(der)).ShouldBeFalse();
            After(EpciJwks, $"      publicKey: \"{Convert.ToBase64String(der)}\"").Contracts.ShouldBeEmpty();
        }
    }

    [Fact]
    public void A_node_with_neither_key_nor_jwks_or_with_both_is_refused()
    {
        After(EpciJwks, string.Empty).Errors.Select(e => e.ToString()).ShouldBe(
        [
            $"{File}:41:7: error invalid-value: the node of signatory 'epci-demo' needs exactly one of 'publicKey' (its key) and 'jwks' (its key set's address)",
        ]);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        After(EpciJwks, EpciJwks + $"\n      publicKey: \"{Convert.ToBase64String(key.ExportSubjectPublicKeyInfo())}\"").Errors.Count.ShouldBe(1);
    }

    [Fact]
    public void A_jwks_address_that_is_not_http_is_refused_on_its_line()
    {
        After(EpciJwks, "      jwks: file:///etc/keys.json").Errors.Select(e => e.ToString()).ShouldBe(
        [
            $"{File}:42:13: error invalid-value: the node's JWKS address must be an absolute http(s) URL, not 'file:///etc/keys.json'",
        ]);
    }
}
