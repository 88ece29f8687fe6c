using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Identity;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// Who may learn why a cell is secret (ADR 0006). A recipient sees one mark, <c>secret</c>, for every suppressed
/// cell; <c>?detail=reasons</c> adds the reason (primary or secondary) for a steward or DPO of the dataset's
/// provider only — role and organisation both — on an answer the policy permits them anyway. The request is audited
/// (<c>detail: reasons</c>), and refused (403 <c>reasons-forbidden</c>, audited) for anyone else.
/// </summary>
internal static class CellReasons
{
    /// <summary>The one value <c>detail</c> takes.</summary>
    public const string Detail = "reasons";

    /// <summary>The field error of any other <c>detail</c>.</summary>
    public static readonly FieldError InvalidDetail = new("detail", "The only detail there is is 'reasons' (for the provider's stewards and DPO).");

    /// <summary>False without <c>detail</c>, true with <c>detail=reasons</c>, null (400) for anything else.</summary>
    public static bool? Read(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Query.TryGetValue("detail", out var values))
        {
            return false;
        }

        return values is [Detail] ? true : null;
    }

    /// <summary>A steward or DPO of the organisation that provides the dataset.</summary>
    public static bool MaySee(Caller caller, string provider)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return (caller.Has(Roles.Steward) || caller.Has(Roles.Dpo)) && string.Equals(caller.Organisation, provider, StringComparison.Ordinal);
    }

    /// <summary>403 <c>reasons-forbidden</c>.</summary>
    public static ApiProblem Forbidden(DatasetDeclaration dataset) => new(
        StatusCodes.Status403Forbidden,
        "reasons-forbidden",
        "Motifs du secret réservés / Reasons reserved to the provider",
        $"Why a cell is secret is shown only to the stewards and DPO of '{dataset.Provider}', which provides '{dataset.Id}'. Ask without 'detail': every secret cell is marked 'secret'.");
}
