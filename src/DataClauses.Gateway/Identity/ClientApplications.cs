using System.Text.Json;
using DataClauses.Gateway.Storage;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// A gateway client is two rows: the OpenIddict application (client id, hashed secret or public keys, permissions),
/// which authenticates it, and the gateway's client (organisation, roles, disabled flag), which says what it may do.
/// Both are written through the request's one DbContext, so they are saved together.
/// </summary>
internal sealed class ClientApplications(IOpenIddictApplicationManager applications)
{
    /// <summary>What every gateway client may do at the authorization server.</summary>
    public static readonly IReadOnlyList<string> Permissions =
    [
        OpenIddictConstants.Permissions.Endpoints.Token,
        OpenIddictConstants.Permissions.Endpoints.Revocation,
        OpenIddictConstants.Permissions.Endpoints.Introspection,
        OpenIddictConstants.Permissions.GrantTypes.ClientCredentials,
        OpenIddictConstants.Permissions.Prefixes.Scope + AuthorizationServer.ApiScope,
    ];

    /// <summary>Registers the application of a new client, with a secret (hashed by the manager) or a partner's public keys.</summary>
    public async Task CreateAsync(ClientEntity client, string? secret, JsonWebKeySet? keys, CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = client.ClientId,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            DisplayName = client.Description,
            JsonWebKeySet = keys,
        };
        descriptor.Permissions.UnionWith(Permissions);
        await applications.CreateAsync(descriptor, cancellationToken);
    }

    /// <summary>Replaces the secret of a client's application (the manager stores only its hash).</summary>
    public async Task RotateSecretAsync(string clientId, string secret, CancellationToken cancellationToken)
    {
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken)
            ?? throw new InvalidOperationException($"The client '{clientId}' has no application.");
        await applications.UpdateAsync(application, secret, cancellationToken);
    }

    /// <summary>The permissions as the OpenIddict store keeps them (a JSON array), for the migration of existing clients.</summary>
    public static string PermissionsJson() => JsonSerializer.Serialize(Permissions);
}

/// <summary>
/// OpenIddict's application manager with the gateway's secret hashing: client secrets are 256-bit random values that
/// the gateway generates, so a salted SHA-256 (<see cref="SecretHasher"/>) is enough and keeps the hashes that existed
/// before OpenIddict valid; OpenIddict's default PBKDF2 is for secrets people choose.
/// </summary>
internal sealed class HashedSecretApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    /// <inheritdoc />
    protected override ValueTask<string> ObfuscateClientSecretAsync(string secret, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(SecretHasher.Hash(secret));

    /// <inheritdoc />
    protected override ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(SecretHasher.Verify(secret, comparand));
}
