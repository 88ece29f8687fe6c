using System.Text.Json;
using DataClauses.Gateway.Hosting;
using DataClauses.Policy.Loading;
using FluentValidation;

namespace DataClauses.Gateway.Queries;

/// <summary>One side of an indicator: a measure of a dataset for a declared purpose.</summary>
internal sealed record IndicatorSide
{
    public string? Dataset { get; init; }

    /// <summary>A version id; null for the current one.</summary>
    public string? Version { get; init; }

    public string? Measure { get; init; }

    public string? Purpose { get; init; }
}

/// <summary>
/// A cross-partner indicator (<c>POST /api/v1/indicators</c>): numerator per <see cref="Per"/> units of denominator at
/// a common geography, e.g. job seekers per 100 CAF households by QPV.
/// </summary>
internal sealed record IndicatorRequest
{
    public IndicatorSide? Numerator { get; init; }

    public IndicatorSide? Denominator { get; init; }

    /// <summary>The common geographic level: qpv or commune.</summary>
    public string? Geography { get; init; }

    /// <summary>The ratio's base (100 by default).</summary>
    public double? Per { get; init; }

    private static readonly string[] Fields = ["numerator", "denominator", "geography", "per"];
    private static readonly string[] SideFields = ["dataset", "version", "measure", "purpose"];

    /// <summary>Reads the body strictly (unknown, repeated or mistyped fields are errors).</summary>
    public static IndicatorRequest Read(JsonElement root, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!RequestReader.IsObject(root, string.Empty, errors))
        {
            return new IndicatorRequest();
        }

        RequestReader.CheckMembers(root, string.Empty, Fields, errors);
        return new IndicatorRequest
        {
            Numerator = Side(root, "numerator", errors),
            Denominator = Side(root, "denominator", errors),
            Geography = RequestReader.String(root, "geography", string.Empty, errors),
            Per = RequestReader.Number(root, "per", string.Empty, errors),
        };
    }

    private static IndicatorSide? Side(JsonElement root, string name, List<FieldError> errors)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (!RequestReader.IsObject(element, name, errors))
        {
            return null;
        }

        RequestReader.CheckMembers(element, name, SideFields, errors);
        return new IndicatorSide
        {
            Dataset = RequestReader.String(element, "dataset", name, errors),
            Version = RequestReader.String(element, "version", name, errors),
            Measure = RequestReader.String(element, "measure", name, errors),
            Purpose = RequestReader.String(element, "purpose", name, errors),
        };
    }
}

/// <summary>The rules of an indicator body beyond its JSON shape.</summary>
internal sealed partial class IndicatorRequestValidator : AbstractValidator<IndicatorRequest>
{
    public IndicatorRequestValidator()
    {
        RuleFor(r => r.Numerator).NotNull().WithMessage("numerator is required.").SetValidator(new SideValidator()!);
        RuleFor(r => r.Denominator).NotNull().WithMessage("denominator is required.").SetValidator(new SideValidator()!);
        RuleFor(r => r.Geography).NotEmpty().WithMessage("geography is required.")
            .Must(g => g is null or "qpv" or "commune").WithMessage("geography must be 'qpv' or 'commune'.");
        RuleFor(r => r.Per).Must(p => p is null or (> 0 and <= 1_000_000)).WithMessage("per must be a positive number (e.g. 100).");
    }

    private sealed partial class SideValidator : AbstractValidator<IndicatorSide>
    {
        public SideValidator()
        {
            RuleFor(s => s.Dataset).NotEmpty().WithMessage("dataset is required.")
                .Must(d => d is null || Identifiers.IsValidId(d)).WithMessage("dataset must be a dataset identifier.");
            RuleFor(s => s.Version).Must(v => v is null || VersionIds.IsValid(v)).WithMessage("version must be a version id (e.g. 2024-12-31).");
            RuleFor(s => s.Measure).NotEmpty().WithMessage("measure is required.")
                .Must(m => m is null || Identifiers.IsValidColumnName(m)).WithMessage("measure must be a measure name.");
            RuleFor(s => s.Purpose).NotEmpty().WithMessage("purpose is required.")
                .Must(p => p is null || Identifiers.IsValidId(p)).WithMessage("purpose must be a purpose identifier.");
        }
    }
}
