using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DataClauses.Gateway.Hosting;

/// <summary>A field at fault in a request body, by its JSON path without the leading <c>$.</c>.</summary>
/// <param name="Field">e.g. <c>dimensions[1]</c>, <c>filters.qpv</c>, <c>numerator.dataset</c>.</param>
/// <param name="Message">What is wrong, in English.</param>
internal sealed record FieldError(string Field, string Message);

/// <summary>
/// An expected refusal as a value, the one problem type of every feature: services return it, endpoints and pages
/// render it (an RFC 9457 problem with a stable <c>type</c>, appended to <see cref="Problems.TypeBase"/>).
/// </summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Type">Stable problem type.</param>
/// <param name="Title">French / English title.</param>
/// <param name="Detail">What happened and what to do.</param>
internal sealed record ApiProblem(int Status, string Type, string Title, string Detail)
{
    /// <summary>Extra members (errors, reasons…).</summary>
    public IReadOnlyDictionary<string, object?> Extensions { get; init; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>The problem as an HTTP result, carrying the correlation id.</summary>
    public ProblemHttpResult ToResult(HttpContext http) => ApiHttp.Problem(http, Status, Type, Title, Detail, Extensions);

    /// <inheritdoc />
    public override string ToString() => $"{Status} {Type}: {Detail}";

    /// <summary>400 <c>validation</c> with <c>errors: [{field, message}]</c>.</summary>
    public static ApiProblem Invalid(string what, IEnumerable<FieldError> errors) => new(
        StatusCodes.Status400BadRequest, "validation", "Requête invalide / Invalid request", $"The {what} is not valid.")
    {
        Extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["errors"] = errors.Select(e => new { field = e.Field, message = e.Message }).ToList() },
    };
}

/// <summary>The version-id rule, written once: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
internal static partial class VersionIds
{
    /// <summary>Whether <paramref name="version"/> is a version id.</summary>
    public static bool IsValid(string? version) => version is not null && Pattern().IsMatch(version);

    [GeneratedRegex("^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
