using System.Globalization;
using DataClauses.Gateway.Catalog.Csv;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Catalog;

/// <summary>What one pass over an upload found.</summary>
/// <param name="Rows">Valid data rows (all of them when there is no error).</param>
/// <param name="Errors">The errors of the first class met.</param>
/// <param name="Separator">The detected separator (0 when no header was read).</param>
/// <param name="Charset">The encoding decoded.</param>
internal sealed record CsvImportOutcome(long Rows, CsvErrorCollector Errors, byte Separator, CsvCharset Charset);

/// <summary>
/// One pass over an upload: header, then every row validated and, while no error has been met, handed to the
/// import pipeline in batches; at the end, the pipeline is completed (every row written). At the first error the
/// pipeline is disposed at once (the database import is abandoned) and the
/// rest of the file is only checked, to count every error and list the first 100 of the most severe class. The body is
/// always read to its end, so that the client's upload completes and it reads the answer.
/// </summary>
internal static class CsvImport
{
    /// <summary>Rows per batch handed to the import pipeline.</summary>
    public const int BatchSize = 4096;

    /// <summary>Runs the pass; <paramref name="pipeline"/> is null to validate only. The pipeline is disposed (abandoned) on the first error.</summary>
    public static async Task<CsvImportOutcome> RunAsync(
        Stream source,
        CsvCharset charset,
        DatasetSchema schema,
        Contract contract,
        DatasetDeclaration dataset,
        ImportPipeline? pipeline,
        Action? onFirstError,
        CancellationToken cancellationToken)
    {
        var reader = new CsvReader(source, charset);
        var errors = new CsvErrorCollector();
        if (!await reader.ReadRecordAsync(cancellationToken))
        {
            var problem = reader.Fatal ?? new CsvProblem(CsvErrorClass.Structure, "empty-file", 1, 0, "The file is empty: it needs a header line and at least one row.");
            errors.Report(problem.Class, new CsvError(problem.Line, problem.Column == 0 ? null : problem.Column, null, problem.Code, problem.Message));
            return await FailAsync(reader, errors, pipeline, onFirstError, cancellationToken);
        }

        if (reader.Problem is { } headerProblem)
        {
            errors.Report(headerProblem.Class, new CsvError(headerProblem.Line, headerProblem.Column == 0 ? null : headerProblem.Column, null, headerProblem.Code, headerProblem.Message));
            return await FailAsync(reader, errors, pipeline, onFirstError, cancellationToken);
        }

        var header = CsvHeader.Map(reader, schema, errors);
        if (header is null)
        {
            return await FailAsync(reader, errors, pipeline, onFirstError, cancellationToken);
        }

        var validator = new RowValidator(schema, contract, dataset, decimalComma: reader.Separator == (byte)';');
        long rows = 0;
        var abandoned = false;
        while (true)
        {
            if (!reader.TryReadRecord())
            {
                if (reader.IsCompleted)
                {
                    break;
                }

                await reader.FillAsync(cancellationToken);
                continue;
            }

            if (reader.Problem is { } problem)
            {
                errors.Report(problem.Class, new CsvError(problem.Line, problem.Column == 0 ? null : problem.Column, header.NameOf(problem.Column), problem.Code, problem.Message));
            }
            else if (!header.FitsFieldCount(reader))
            {
                errors.Report(CsvErrorClass.Structure, new CsvError(
                    reader.RecordLine,
                    null,
                    null,
                    "field-count",
                    $"Expected {header.Count.ToString(CultureInfo.InvariantCulture)} fields as in the header, found {reader.FieldCount.ToString(CultureInfo.InvariantCulture)} (separator '{(char)reader.Separator}'; a value containing it must be quoted)."));
            }
            else if (CsvHeader.IsBlank(reader))
            {
                // Spreadsheets write emptied rows as separators only: they carry nothing.
                continue;
            }
            else
            {
                var batch = pipeline?.Current;
                if (validator.Validate(reader, header, batch, errors))
                {
                    rows++;
                    if (batch is not null && ++batch.Count == batch.Capacity)
                    {
                        await pipeline!.FlushAsync();
                    }
                }
            }

            if (errors.HasErrors && !abandoned)
            {
                // Abandon the database import at once: the rows already sent are rolled back with the transaction.
                abandoned = true;
                if (pipeline is not null)
                {
                    await pipeline.DisposeAsync();
                    pipeline = null;
                }

                onFirstError?.Invoke();
            }
        }

        if (reader.Fatal is { } fatal)
        {
            errors.Report(fatal.Class, new CsvError(fatal.Line, null, null, fatal.Code, fatal.Message));
            return await FailAsync(reader, errors, pipeline, onFirstError, cancellationToken);
        }

        if (!errors.HasErrors && rows == 0)
        {
            errors.Report(CsvErrorClass.Value, new CsvError(reader.RecordLine + 1, null, null, "no-rows", "The file has a header but no data row."));
            return await FailAsync(reader, errors, pipeline, onFirstError, cancellationToken);
        }

        if (pipeline is not null)
        {
            await pipeline.CompleteAsync();
        }

        return new CsvImportOutcome(rows, errors, reader.Separator, reader.Charset);
    }

    private static async Task<CsvImportOutcome> FailAsync(CsvReader reader, CsvErrorCollector errors, ImportPipeline? pipeline, Action? onFirstError, CancellationToken cancellationToken)
    {
        if (pipeline is not null)
        {
            await pipeline.DisposeAsync();
        }

        onFirstError?.Invoke();
        await reader.DrainAsync(cancellationToken);
        return new CsvImportOutcome(0, errors, reader.Separator, reader.Charset);
    }
}
