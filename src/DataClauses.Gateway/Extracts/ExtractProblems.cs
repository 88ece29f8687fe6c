using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Storage;

namespace DataClauses.Gateway.Extracts;

/// <summary>The refusals of the extracts workflow (docs/extracts.md), as <see cref="ApiProblem"/> values.</summary>
internal static class ExtractProblems
{
    public static readonly ApiProblem SelfApproval = new(
        StatusCodes.Status403Forbidden,
        "self-approval",
        "Auto-approbation interdite / Self-approval refused",
        "The requester of an extract can never approve or reject it, even as a steward of the provider.");

    public static readonly ApiProblem SamePerson = new(
        StatusCodes.Status403Forbidden,
        "same-person",
        "Même personne / Same person",
        "A client acting for the same person has already voted on this request: four-eyes approval needs two different people.");

    public static readonly ApiProblem AlreadyVoted = new(
        StatusCodes.Status409Conflict,
        "already-voted",
        "Vote déjà enregistré / Already voted",
        "You have already approved or rejected this request; four-eyes approval needs another steward.");

    public static ApiProblem NotPending(string status) => new(
        StatusCodes.Status409Conflict,
        "extract-not-pending",
        "Demande déjà traitée / Not pending",
        $"The extract is '{status}': only a request pending approval can be approved or rejected.")
    {
        Extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["extractStatus"] = status },
    };

    /// <summary>Why the files of an extract cannot be downloaded now (410 purged or expired, 409 not available or not ready), or null.</summary>
    public static ApiProblem? Unavailable(ExtractEntity extract, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(extract);
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["extractStatus"] = extract.Status, ["retentionDeadline"] = ExtractFiles.Instant(extract.RetentionDeadline) };
        if (extract.Status == ExtractStatus.Purged)
        {
            extensions["purgeReason"] = extract.PurgeReason;
            return new(StatusCodes.Status410Gone, "extract-purged", "Extraction purgée / Extract purged", "The extract's files were deleted at the end of its retention (or because the contract no longer permits it).") { Extensions = extensions };
        }

        if (extract.Status == ExtractStatus.Expired || (extract.RetentionDeadline <= now && extract.Status == ExtractStatus.Ready))
        {
            return new(StatusCodes.Status410Gone, "extract-expired", "Extraction expirée / Extract expired", "The extract's retention has ended; its files are being purged.") { Extensions = extensions };
        }

        if (extract.Status is ExtractStatus.Rejected or ExtractStatus.Denied or ExtractStatus.Failed)
        {
            return new(StatusCodes.Status409Conflict, "extract-not-available", "Extraction indisponible / Not available", $"The extract is '{extract.Status}': it has no files.") { Extensions = extensions };
        }

        if (extract.Status != ExtractStatus.Ready)
        {
            extensions["progress"] = extract.Progress;
            return new(StatusCodes.Status409Conflict, "extract-not-ready", "Extraction pas prête / Not ready", $"The extract is '{extract.Status}'; download it once it is 'ready'.") { Extensions = extensions };
        }

        return null;
    }

    /// <summary>Why the requester cannot attest deleting the extract yet (409 never produced, or not expired), or null.</summary>
    public static ApiProblem? NotAttestable(ExtractEntity extract, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(extract);
        if (extract.ProducedAt is null)
        {
            return new(StatusCodes.Status409Conflict, "nothing-to-attest", "Rien à attester / Nothing to attest", $"The extract was never produced (status '{extract.Status}'): there is no copy to delete.");
        }

        if (!ExtractStatus.Ended.Contains(extract.Status, StringComparer.Ordinal) && extract.RetentionDeadline > now)
        {
            return new(
                StatusCodes.Status409Conflict,
                "extract-not-expired",
                "Extraction non expirée / Not expired",
                $"The extract may be kept until {ExtractFiles.Instant(extract.RetentionDeadline)}; attest its deletion once it has expired.")
            {
                Extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["retentionDeadline"] = ExtractFiles.Instant(extract.RetentionDeadline) },
            };
        }

        return null;
    }
}
