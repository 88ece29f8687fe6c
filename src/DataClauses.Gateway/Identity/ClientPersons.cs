using DataClauses.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// The person behind a caller, for four-eyes approval and self-approval: two clients are two people only when two
/// people are known to stand behind them. A seeded client acts for its <see cref="ClientEntity.Person"/>; a client
/// created through the admin API acts for the person who created it until another person confirms the person it
/// names; a token of an external issuer names its person in <c>sub</c>.
/// </summary>
internal static class ClientPersons
{
    /// <summary>The person a client counts as.</summary>
    public static string Of(ClientEntity client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.CreatedBy is null || client.ConfirmedBy is not null ? client.Person ?? client.ClientId : client.CreatedBy;
    }

    /// <summary>The person a subject counts as: its client's, or the subject itself (a person's token).</summary>
    public static async Task<string> OfAsync(GatewayDbContext db, string subject, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == subject, cancellationToken);
        return client is null ? subject : Of(client);
    }

    /// <summary>The persons of several subjects at once.</summary>
    public static async Task<Dictionary<string, string>> OfAsync(GatewayDbContext db, IEnumerable<string> subjects, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var wanted = subjects.Distinct(StringComparer.Ordinal).ToList();
        var clients = await db.Clients.AsNoTracking().Where(c => wanted.Contains(c.ClientId)).ToListAsync(cancellationToken);
        var persons = wanted.ToDictionary(s => s, s => s, StringComparer.Ordinal);
        foreach (var client in clients)
        {
            persons[client.ClientId] = Of(client);
        }

        return persons;
    }
}
