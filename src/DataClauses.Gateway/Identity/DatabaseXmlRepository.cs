using System.Xml.Linq;
using DataClauses.Gateway.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace DataClauses.Gateway.Identity;

/// <summary>
/// Keeps the Data Protection key ring in the database, so that every replica can unprotect what another protected
/// (signing keys, extract files). Written here because Microsoft.AspNetCore.DataProtection.EntityFrameworkCore is not
/// served by the package registry this project builds from.
/// </summary>
internal sealed class DatabaseXmlRepository(IServiceScopeFactory scopes) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        return db.DataProtectionKeys.AsEnumerable().Select(k => XElement.Parse(k.Xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        db.DataProtectionKeys.Add(new DataProtectionKeyEntity { FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }
}
