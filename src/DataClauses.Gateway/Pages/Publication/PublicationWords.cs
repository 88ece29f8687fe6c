using System.Text.Json;
using DataClauses.Gateway.Hosting;
using DataClauses.Gateway.Pages.Catalogue;

namespace DataClauses.Gateway.Pages.Publication;

/// <summary>A publication's refusal in French for the publishers' page: one sentence per CSV error, with its line and column.</summary>
internal static class PublicationWords
{
    /// <summary>"ligne 1 204, colonne « qpv » : code QPV inconnu pour ce contrat".</summary>
    public static string Error(long line, int? column, string? field, string code, string message)
    {
        var where = "ligne " + line.ToString("N0", ClauseWords.French)
            + (field is not null ? $", colonne « {field} »" : column is { } c ? ", colonne " + c.ToString(ClauseWords.French) : string.Empty);
        return $"{where} : {Text(code, field, message)}";
    }

    /// <summary>The French title of a refusal, from its problem type.</summary>
    public static string Title(ApiProblem problem) => problem.Type switch
    {
        "csv-encoding" => "Le fichier ne peut pas être lu dans l’encodage choisi",
        "csv-structure" => "Le fichier CSV est mal formé",
        "csv-header" => "L’en-tête du fichier ne correspond pas au schéma du jeu de données",
        "csv-values" => "Des valeurs ne respectent pas le schéma ou le contrat",
        "version-exists" => "Cette version est déjà publiée : les versions ne changent plus, choisissez un autre identifiant",
        "dataset-not-declared" => "Le schéma de ce jeu de données n’est pas encore déclaré",
        "schema-outdated" => "Le schéma déclaré ne correspond plus au contrat : déclarez-le à nouveau",
        "validation" => "L’identifiant de version n’est pas valide (1 à 64 lettres, chiffres, « . », « _ » ou « - », par exemple 2025-12-31)",
        "payload-too-large" => "Le fichier dépasse la taille maximale acceptée",
        "upload-incomplete" => "Le fichier n’est pas arrivé en entier : recommencez",
        "unsupported-media-type" or "unsupported-charset" => "Ce type de fichier ou cet encodage n’est pas accepté : envoyez un CSV en UTF-8 ou Windows-1252",
        "forbidden" => "Votre organisation ne peut pas publier ce jeu de données",
        "not-found" => "Ce jeu de données est introuvable",
        _ => problem.Title,
    };

    /// <summary>The errors a refusal lists (CSV errors with their lines), in French.</summary>
    public static IReadOnlyList<string> Errors(ApiProblem problem)
    {
        if (problem.Extensions.GetValueOrDefault("errors") is not { } errors)
        {
            return [];
        }

        var json = JsonSerializer.SerializeToElement(errors);
        if (json.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        return [.. json.EnumerateArray()
            .Where(e => e.TryGetProperty("line", out _))
            .Select(e => Error(
                e.GetProperty("line").GetInt64(),
                e.TryGetProperty("column", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : null,
                e.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null,
                e.GetProperty("code").GetString() ?? string.Empty,
                e.GetProperty("message").GetString() ?? string.Empty))];
    }

    private static string Text(string code, string? field, string message) => code switch
    {
        "required" => "valeur obligatoire manquante",
        "invalid-integer" => "ce n’est pas un nombre entier",
        "invalid-number" => "ce n’est pas un nombre (point décimal, sans séparateur de milliers)",
        "invalid-date" => "ce n’est pas une date AAAA-MM-JJ",
        "invalid-boolean" => "ce n’est pas un booléen (true ou false)",
        "outside-territory" or "invalid-code" => $"code {Code(field)} inconnu pour ce contrat",
        "unknown-value" or "not-allowed" => "valeur non prévue par le contrat pour cette colonne",
        "below-minimum" => "valeur inférieure au minimum du schéma",
        "above-maximum" => "valeur supérieure au maximum du schéma",
        "too-long" => "texte plus long que le schéma ne le permet",
        "value-too-large" or "sum-too-large" => "valeur trop grande",
        "field-count" => "nombre de colonnes différent de celui de l’en-tête",
        "unterminated-quote" => "guillemet ouvert jamais refermé",
        "text-after-quote" => "texte après un guillemet fermant",
        "record-too-long" => "ligne trop longue",
        "invalid-utf8" => "octets qui ne sont pas du texte dans l’encodage choisi",
        "empty-column-name" => "colonne sans nom dans l’en-tête",
        "unknown-column" => "colonne absente du schéma",
        "duplicate-column" => "colonne en double dans l’en-tête",
        "missing-column" => "colonne du schéma absente de l’en-tête",
        "no-rows" => "le fichier n’a aucune ligne de données",
        _ => message,
    };

    private static string Code(string? field) => field switch
    {
        "qpv" => "QPV",
        "iris" => "IRIS",
        "commune" => "commune",
        "epci" => "EPCI",
        null => "géographique",
        _ => field,
    };
}
