using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using DataClauses.Gateway.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.FunctionalTests.Hosting;

/// <summary>
/// DataClauses:Storage:KeyEncryptionCertificate: the Data Protection key ring (which decrypts extract files) is stored
/// in the database encrypted with the certificate, so the database alone does not open what it protects.
/// </summary>
public abstract class KeyRingEncryptionTests
{
    private const string Password = "key-ring-test-password";
    private const string Secret = "cells of a protected extract";

    protected abstract StorageProvider Provider { get; }

    [Fact]
    public async Task Key_ring_is_stored_encrypted_and_only_a_node_holding_the_certificate_reads_what_it_protected()
    {
        var folder = Directory.CreateTempSubdirectory("dataclauses-keyring-");
        try
        {
            var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["DataClauses:Storage:KeyEncryptionCertificate"] = WriteCertificate(folder.FullName),
                ["DataClauses:Storage:KeyEncryptionCertificatePassword"] = Password,
            };
            await using var database = await TestDatabase.CreateAsync(Provider);

            string protectedText;
            await using (var host = await GatewayHost.StartAsync(Provider, settings, database))
            {
                protectedText = Protector(host).Protect(Secret);
                var keyRing = await KeyRingAsync(host);
                keyRing.ShouldNotBeEmpty();
                keyRing.ShouldAllBe(xml => xml.Contains("<encryptedSecret", StringComparison.Ordinal) && !xml.Contains("<value>", StringComparison.Ordinal));
            }

            await using (var replica = await GatewayHost.StartAsync(Provider, settings, database))
            {
                Protector(replica).Unprotect(protectedText).ShouldBe(Secret);
            }

            await using (var withoutCertificate = await GatewayHost.StartAsync(Provider, database: database))
            {
                Should.Throw<CryptographicException>(() => Protector(withoutCertificate).Unprotect(protectedText));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Missing_or_unreadable_certificate_is_reported_at_start_with_the_other_problems_and_never_its_password()
    {
        var folder = Directory.CreateTempSubdirectory("dataclauses-keyring-");
        try
        {
            var garbage = Path.Combine(folder.FullName, "garbage.pfx");
            await File.WriteAllBytesAsync(garbage, RandomNumberGenerator.GetBytes(512));
            foreach (var (path, expected) in new[]
            {
                (Path.Combine(folder.FullName, "missing.pfx"), "DataClauses:Storage:KeyEncryptionCertificate: no such file"),
                (garbage, "DataClauses:Storage:KeyEncryptionCertificate: '" + garbage + "' cannot be read as PKCS#12"),
            })
            {
                await using var app = GatewayHost.Build(null, TestClock.StartingNow(), new Dictionary<string, string?>(StringComparer.Ordinal)
                {
                    ["DataClauses:Storage:KeyEncryptionCertificate"] = path,
                    ["DataClauses:Storage:KeyEncryptionCertificatePassword"] = Password,
                    ["DataClauses:NodeId"] = "",
                });

                var error = await Should.ThrowAsync<OptionsValidationException>(() => GatewayApp.InitialiseAsync(app));

                error.Failures.Count().ShouldBe(2, string.Join(Environment.NewLine, error.Failures));
                error.Message.ShouldContain(expected);
                error.Message.ShouldContain("DataClauses:NodeId is required");
                error.Message.ShouldNotContain(Password);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static IDataProtector Protector(GatewayHost host) =>
        host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("key-ring-test");

    private static async Task<List<string>> KeyRingAsync(GatewayHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        return await db.DataProtectionKeys.Select(k => k.Xml!).ToListAsync();
    }

    /// <summary>A self-signed RSA certificate with its private key, as the PKCS#12 file an operator would mount.</summary>
    private static string WriteCertificate(string folder)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=DataClauses key ring (test)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(folder, "keyring.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, Password));
        return path;
    }
}

public sealed class KeyRingEncryptionTests_on_Sqlite : KeyRingEncryptionTests
{
    protected override StorageProvider Provider => StorageProvider.Sqlite;
}

public sealed class KeyRingEncryptionTests_on_PostgreSql : KeyRingEncryptionTests
{
    protected override StorageProvider Provider => StorageProvider.PostgreSql;
}
