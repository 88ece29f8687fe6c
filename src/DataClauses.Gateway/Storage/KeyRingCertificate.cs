using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DataClauses.Gateway.Hosting;
using Microsoft.AspNetCore.DataProtection;

namespace DataClauses.Gateway.Storage;

/// <summary>
/// The certificate that encrypts the Data Protection key ring stored in the database
/// (<c>DataClauses:Storage:KeyEncryptionCertificate</c>, a PKCS#12 file with its RSA private key). Without it the key
/// ring — which decrypts extract files — is stored in clear next to them, so a database backup alone would be enough to
/// read the extracts; with it, the backup and the certificate file are both needed.
/// </summary>
internal static class KeyRingCertificate
{
    /// <summary>Loads the configured certificate; null when none is configured. Throws what <see cref="Problem"/> reports.</summary>
    public static X509Certificate2? Load(StorageOptions storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return string.IsNullOrWhiteSpace(storage.KeyEncryptionCertificate)
            ? null
            : X509CertificateLoader.LoadPkcs12FromFile(storage.KeyEncryptionCertificate, storage.KeyEncryptionCertificatePassword);
    }

    /// <summary>What is wrong with the configured certificate, for the start-up validation; null when it is usable or none is set.</summary>
    public static string? Problem(StorageOptions storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        const string Key = "DataClauses:Storage:KeyEncryptionCertificate";
        if (string.IsNullOrWhiteSpace(storage.KeyEncryptionCertificate))
        {
            return null;
        }

        if (!File.Exists(storage.KeyEncryptionCertificate))
        {
            return $"{Key}: no such file '{storage.KeyEncryptionCertificate}'.";
        }

        try
        {
            using var certificate = Load(storage)!;
            using var rsa = certificate.GetRSAPrivateKey();
            return rsa is null ? $"{Key}: '{storage.KeyEncryptionCertificate}' has no RSA private key (a PKCS#12 file with one is needed to decrypt the key ring)." : null;
        }
        catch (CryptographicException ex)
        {
            // The password is never part of the message.
            return $"{Key}: '{storage.KeyEncryptionCertificate}' cannot be read as PKCS#12 (wrong password, or not a certificate file): {ex.Message}";
        }
    }

    /// <summary>
    /// Stores the key ring in the database, encrypted with the certificate when one is configured and readable. An
    /// unreadable one is left to the start-up validation (<see cref="Problem"/>), which reports it with every other
    /// misconfiguration before the gateway serves anything.
    /// </summary>
    public static IServiceCollection AddDatabaseKeyRing(this IServiceCollection services, IConfiguration configuration)
    {
        var dataProtection = services.AddDataProtection().SetApplicationName("DataClauses").PersistKeysToDbContext<GatewayDbContext>();
        var storage = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>()?.Storage ?? new StorageOptions();
        if (TryLoad(storage) is { } certificate)
        {
            // Decryption finds the certificate here rather than in a machine store (there is none in a container).
            dataProtection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }

        return services;

        static X509Certificate2? TryLoad(StorageOptions storage)
        {
            try
            {
                return Load(storage);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                return null; // Problem() says what is wrong at the start-up validation.
            }
        }
    }
}
