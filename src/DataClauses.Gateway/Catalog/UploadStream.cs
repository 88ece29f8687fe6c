using System.Globalization;
using System.Security.Cryptography;

namespace DataClauses.Gateway.Catalog;

/// <summary>Thrown when an upload goes past the configured size limit.</summary>
internal sealed class UploadTooLargeException(long limit)
    : IOException($"The upload exceeds the limit of {limit.ToString(CultureInfo.InvariantCulture)} bytes.")
{
    /// <summary>The limit, in bytes.</summary>
    public long Limit { get; } = limit;
}

/// <summary>
/// Wraps the request body as it is read: counts the bytes and enforces the size limit (whatever the server's own
/// limit), hashes them (SHA-256 of the bytes as uploaded, before any transcoding), and optionally copies them to
/// a spool file (SQLite imports from the spool so that its single write lock is not held while the client uploads).
/// </summary>
internal sealed class UploadStream(Stream inner, long limit, Stream? spool = null) : Stream
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private Stream? _spool = spool;
    private string? _hash;

    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    /// <summary>The hex SHA-256 of every byte read (call once the body was read to its end).</summary>
    public string Sha256 => _hash ??= Convert.ToHexStringLower(_sha256.GetHashAndReset());

    /// <summary>Stops copying to the spool (the upload is rejected; only its errors still matter).</summary>
    public void StopSpooling() => _spool = null;

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        await Account(buffer[..read], cancellationToken);
        return read;
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask Account(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        BytesRead += bytes.Length;
        if (BytesRead > limit)
        {
            throw new UploadTooLargeException(limit);
        }

        _sha256.AppendData(bytes.Span);
        if (_spool is not null)
        {
            await _spool.WriteAsync(bytes, cancellationToken);
        }
    }
}

/// <summary>The body ended before its end: the client closed or reset the connection.</summary>
internal sealed class UploadInterruptedException(Exception inner) : IOException("The upload ended early.", inner);
