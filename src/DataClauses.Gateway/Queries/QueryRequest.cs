using DataClauses.Gateway.Hosting;
using DataClauses.Policy.Engine;
using DataClauses.Policy.Loading;
using DataClauses.Policy.Model;
using FluentValidation;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// A query for protected aggregates (<c>POST /api/v1/queries</c>), also the body of a dry run
/// (<c>POST /api/v1/policy/decisions</c>, which adds <see cref="Action"/> and <see cref="Retention"/>).
/// Fields are null when absent; <see cref="QueryRequestValidator"/> says which are required.
/// </summary>
internal sealed record QueryRequest
{
    public string? Dataset { get; init; }

    /// <summary>A version id; null for the current (last published) version.</summary>
    public string? Version { get; init; }

    public string? Purpose { get; init; }

    public IReadOnlyList<string?>? Dimensions { get; init; }

    public IReadOnlyList<string?>? Measures { get; init; }

    /// <summary>Filters on dimension values, in the order sent.</summary>
    public IReadOnlyList<QueryFilter> Filters { get; init; } = [];

    /// <summary>Dry run only: query (default) or extract.</summary>
    public string? Action { get; init; }

    /// <summary>Dry run only: the retention an extract would ask for (ISO-8601 duration).</summary>
    public string? Retention { get; init; }

    /// <summary>The decision request of a caller (call once the request is valid).</summary>
    public DecisionRequest ToDecisionRequest(Requester requester, PolicyAction action) => new()
    {
        Requester = requester,
        Action = action,
        Dataset = Dataset!,
        Dimensions = [.. Dimensions!.Select(d => d!)],
        Measures = [.. Measures!.Select(m => m!)],
        Filters = [.. Filters.Select(f => new Filter(f.Dimension, [.. f.Values!.Select(v => v!)]))],
        Purpose = Purpose,
        Retention = Retention is not null && IsoDuration.TryParse(Retention, out var retention) ? retention : null,
    };
}

/// <summary>The body of <c>POST /api/v1/queries</c> as the OpenAPI document shows it (read by <see cref="RequestReader"/>).</summary>
/// <param name="Dataset">Dataset id.</param>
/// <param name="Purpose">A purpose of the contract.</param>
/// <param name="Dimensions">Dimensions to break down by ([] for the total only).</param>
/// <param name="Measures">Measures (at least one).</param>
/// <param name="Version">Version id; omitted for the current one.</param>
/// <param name="Filters">Dimension → the values to keep.</param>
internal sealed record QueryBody(
    string Dataset, string Purpose, IReadOnlyList<string> Dimensions, IReadOnlyList<string> Measures,
    string? Version = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? Filters = null);

/// <summary>The body of <c>POST /api/v1/policy/decisions</c> as the OpenAPI document shows it.</summary>
/// <param name="Dataset">Dataset id.</param>
/// <param name="Purpose">A purpose of the contract.</param>
/// <param name="Dimensions">Dimensions.</param>
/// <param name="Measures">Measures.</param>
/// <param name="Version">Version id (echoed in the audit only: a dry run reads no version).</param>
/// <param name="Filters">Dimension → values.</param>
/// <param name="Action">query (default) or extract.</param>
/// <param name="Retention">For an extract: the retention asked (ISO-8601, e.g. P6M).</param>
internal sealed record DryRunBody(
    string Dataset, string Purpose, IReadOnlyList<string> Dimensions, IReadOnlyList<string> Measures, string? Version = null,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Filters = null, string? Action = null, string? Retention = null);

/// <summary>A filter as sent: a dimension and the values to keep.</summary>
/// <param name="Dimension">Dimension name (the JSON member name).</param>
/// <param name="Values">Values, or null when the member was not a list of strings.</param>
internal sealed record QueryFilter(string Dimension, IReadOnlyList<string?>? Values);

/// <summary>The rules a query (or dry-run) body must follow beyond its JSON shape; every failure is a field error.</summary>
internal sealed partial class QueryRequestValidator : AbstractValidator<QueryRequest>
{
    /// <summary>More would be an attempt to enumerate, not a query.</summary>
    public const int MaxItems = 1000;

    public QueryRequestValidator(bool dryRun)
    {
        RuleFor(r => r.Dataset).NotEmpty().WithMessage("dataset is required.")
            .Must(d => d is null || Identifiers.IsValidId(d)).WithMessage("dataset must be a dataset identifier (lowercase letters, digits, '.', '_' or '-').");
        RuleFor(r => r.Version).Must(v => v is null || VersionIds.IsValid(v))
            .WithMessage("version must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. 2024-12-31).");
        RuleFor(r => r.Purpose).NotEmpty().WithMessage("purpose is required: every query declares what it is for.")
            .Must(p => p is null || Identifiers.IsValidId(p)).WithMessage("purpose must be a purpose identifier of the contract (e.g. observation).");
        RuleFor(r => r.Dimensions).NotNull().WithMessage("dimensions is required (an empty list asks for the total only).");
        RuleFor(r => r.Dimensions).Must(Distinct).When(r => r.Dimensions is not null).WithMessage("dimensions must not repeat a dimension.")
            .Must(l => l is null || l.Count <= 20).WithMessage("dimensions lists at most 20 dimensions.");
        RuleForEach(r => r.Dimensions).Must(IsName).WithMessage("each dimension must be a dimension name (e.g. qpv).");
        RuleFor(r => r.Measures).NotEmpty().WithMessage("measures must list at least one measure.");
        RuleFor(r => r.Measures).Must(Distinct).When(r => r.Measures is not null).WithMessage("measures must not repeat a measure.")
            .Must(l => l is null || l.Count <= 20).WithMessage("measures lists at most 20 measures.");
        RuleForEach(r => r.Measures).Must(IsName).WithMessage("each measure must be a measure name (e.g. foyers).");
        RuleForEach(r => r.Filters).ChildRules(filter =>
        {
            filter.RuleFor(f => f.Dimension).Must(IsName).WithMessage("a filter is keyed by a dimension name (e.g. qpv).");
            filter.RuleFor(f => f.Values).NotEmpty().WithMessage("a filter must list at least one value.");
            filter.RuleFor(f => f.Values).Must(v => v is null || (v.All(x => !string.IsNullOrEmpty(x)) && Distinct(v)))
                .WithMessage("a filter must list distinct, non-empty values.")
                .Must(v => v is null || v.Count <= MaxItems).WithMessage($"a filter lists at most {MaxItems} values.");
        });
        if (dryRun)
        {
            RuleFor(r => r.Action).Must(a => a is null or "query" or "extract").WithMessage("action must be 'query' or 'extract'.");
            RuleFor(r => r.Retention).Must(r => r is null || (IsoDuration.TryParse(r, out var d) && !d.IsZero))
                .WithMessage("retention must be a non-zero ISO-8601 duration (e.g. P6M).");
        }
        else
        {
            RuleFor(r => r.Action).Null().WithMessage("action is only accepted by the dry run (POST /api/v1/policy/decisions).");
            RuleFor(r => r.Retention).Null().WithMessage("retention is only accepted by the dry run (POST /api/v1/policy/decisions).");
        }
    }

    private static bool IsName(string? name) => name is not null && Identifiers.IsValidColumnName(name);

    private static bool Distinct(IReadOnlyList<string?>? items) => items is null || items.Distinct(StringComparer.Ordinal).Count() == items.Count;
}
