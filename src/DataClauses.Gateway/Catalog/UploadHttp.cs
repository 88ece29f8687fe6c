using DataClauses.Gateway.Catalog.Csv;
using DataClauses.Gateway.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Net.Http.Headers;

namespace DataClauses.Gateway.Catalog;

/// <summary>
/// The HTTP side of an upload, kept out of the publishing service: the Content-Type and its charset, and Kestrel's
/// ways of saying a body ended early or grew too large, turned into the upload's own exceptions.
/// </summary>
internal static class UploadHttp
{
    /// <summary>The upload of a request: its body (Kestrel's exceptions translated), charset and announced length.</summary>
    public static CsvUpload Of(HttpRequest request, long limit)
    {
        ArgumentNullException.ThrowIfNull(request);
        var unsupported = ContentTypeProblem(request.ContentType, out var charset);
        return new CsvUpload(new KestrelBody(request.Body, limit), charset, request.ContentLength) { Unsupported = unsupported };
    }

    /// <summary>The charset of an accepted Content-Type, or the 415 problem.</summary>
    public static ApiProblem? ContentTypeProblem(string? contentType, out CsvCharset charset)
    {
        charset = CsvCharset.Utf8;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !(mediaType.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase) || mediaType.MediaType.Equals("application/csv", StringComparison.OrdinalIgnoreCase)))
        {
            return new ApiProblem(
                StatusCodes.Status415UnsupportedMediaType,
                "unsupported-media-type",
                "Type de contenu non pris en charge / Unsupported media type",
                $"Send the CSV file with 'Content-Type: text/csv' (optionally '; charset=windows-1252'), not '{contentType ?? "(none)"}'.");
        }

        var declared = mediaType.Charset.HasValue ? mediaType.Charset.Value : null;
        if (!CsvCharsets.TryParse(declared, out charset))
        {
            return new ApiProblem(
                StatusCodes.Status415UnsupportedMediaType,
                "unsupported-charset",
                "Encodage non pris en charge / Unsupported charset",
                $"Charset '{declared}' is not supported: send UTF-8 (preferred), windows-1252 (also iso-8859-1) or iso-8859-15.");
        }

        return null;
    }

    /// <summary>
    /// Kestrel reports the end of its input (the client closed or reset the connection) as a bad request or a
    /// connection reset, and a body over the limit as a 413 bad request: the publisher sees the upload's exceptions.
    /// </summary>
    private sealed class KestrelBody(Stream inner, long limit) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return inner.Read(buffer, offset, count);
            }
            catch (Exception e) when (Translate(e) is not null)
            {
                throw Translate(e)!;
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (Translate(e) is not null)
            {
                throw Translate(e)!;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private Exception? Translate(Exception e) => e switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => new UploadTooLargeException(limit),
            BadHttpRequestException or ConnectionResetException => new UploadInterruptedException(e),
            _ => null,
        };
    }
}
