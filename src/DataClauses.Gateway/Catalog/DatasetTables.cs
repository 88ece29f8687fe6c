using System.Buffers.Binary;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using DataClauses.Gateway.Storage;
using DataClauses.Policy.Loading;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace DataClauses.Gateway.Catalog;

/// <summary>Receives validated rows for a version's table, inside the publishing transaction.</summary>
internal interface IRowSink : IAsyncDisposable
{
    /// <summary>Writes the batch's rows (synchronously: it runs on the import pipeline's own thread).</summary>
    void Write(RowBatch batch);

    /// <summary>Ends the import (every row written); disposing without completing aborts it.</summary>
    Task CompleteAsync();
}

/// <summary>
/// The typed table of each dataset version: named <c>dv_</c> + 16 random hex digits (never from user text), one
/// column per schema field in schema order, named after the field (validated identifiers, quoted anyway). Types:
/// text (geo codes, dimension values, hashed unit id), bigint/INTEGER (integer measures), double precision/REAL
/// (number measures); NOT NULL for required fields. Rows go in with binary COPY on PostgreSQL and a prepared,
/// reused INSERT on SQLite, always inside the caller's transaction.
/// </summary>
internal static partial class DatasetTables
{
    /// <summary>The prefix of every version table.</summary>
    public const string Prefix = "dv_";

    /// <summary>A new table name: <c>dv_</c> and 16 random hex digits.</summary>
    public static string NewName() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>Whether a name is one this class generates.</summary>
    public static bool IsValidName(string name) => TableNamePattern().IsMatch(name);

    /// <summary>The SQL type of a column kind on a provider.</summary>
    public static string SqlType(ColumnKind kind, bool postgres) => (kind, postgres) switch
    {
        (ColumnKind.Integer, true) => "bigint",
        (ColumnKind.Number, true) => "double precision",
        (ColumnKind.Text, true) => "text",
        (ColumnKind.Integer, false) => "INTEGER",
        (ColumnKind.Number, false) => "REAL",
        _ => "TEXT",
    };

    /// <summary>The <c>CREATE TABLE</c> statement of a version table.</summary>
    public static string CreateTableSql(string table, DatasetSchema schema, bool postgres)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var sql = new StringBuilder("CREATE TABLE ").Append(QuoteTable(table)).Append(" (");
        for (var i = 0; i < schema.Fields.Count; i++)
        {
            var field = schema.Fields[i];
            sql.Append(i == 0 ? string.Empty : ", ")
                .Append(QuoteColumn(field.Name))
                .Append(' ')
                .Append(SqlType(RowValidator.KindOf(field), postgres))
                .Append(field.Constraints.Required ? " NOT NULL" : string.Empty);
        }

        return sql.Append(')').ToString();
    }

    /// <summary>Creates the table within the current transaction of <paramref name="db"/>.</summary>
    public static async Task CreateAsync(GatewayDbContext db, string table, DatasetSchema schema, CancellationToken cancellationToken)
    {
        await using var command = Command(db, CreateTableSql(table, schema, db.IsPostgreSql));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Opens the import into the table within the current transaction of <paramref name="db"/>.</summary>
    public static async Task<IRowSink> OpenSinkAsync(GatewayDbContext db, string table, DatasetSchema schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(schema);
        var columns = string.Join(", ", schema.Fields.Select(f => QuoteColumn(f.Name)));
        if (db.IsPostgreSql)
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            // FREEZE (allowed because the table was created in this transaction) writes the rows already frozen, so
            // the first aggregation over them does not rewrite every page to set hint bits.
            var stream = await connection.BeginRawBinaryCopyAsync($"COPY {QuoteTable(table)} ({columns}) FROM STDIN (FORMAT BINARY, FREEZE)", cancellationToken);
            return new PostgresSink(stream);
        }

        var sql = $"INSERT INTO {QuoteTable(table)} ({columns}) VALUES ({string.Join(", ", schema.Fields.Select((_, i) => "$p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)))})";
        var insert = (SqliteCommand)Command(db, sql);
        var kinds = RowValidator.KindsOf(schema);
        for (var i = 0; i < kinds.Count; i++)
        {
            insert.Parameters.Add(new SqliteParameter("$p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), kinds[i] switch
            {
                ColumnKind.Integer => SqliteType.Integer,
                ColumnKind.Number => SqliteType.Real,
                _ => SqliteType.Text,
            }));
        }

        insert.Prepare();
        return new SqliteSink(insert);
    }

    /// <summary>Counts a table's rows (used by checks and tests).</summary>
    public static async Task<long> CountRowsAsync(GatewayDbContext db, string table, CancellationToken cancellationToken)
    {
        await using var command = Command(db, $"SELECT COUNT(*) FROM {QuoteTable(table)}");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whether a table exists (used by checks and tests).</summary>
    public static async Task<bool> ExistsAsync(GatewayDbContext db, string table, CancellationToken cancellationToken)
    {
        if (!IsValidName(table))
        {
            return false;
        }

        var sql = db.IsPostgreSql
            ? $"SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename = '{table}'"
            : $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'";
        await using var command = Command(db, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static string QuoteTable(string table) => IsValidName(table)
        ? "\"" + table + "\""
        : throw new ArgumentException($"'{table}' is not a generated version table name.", nameof(table));

    private static string QuoteColumn(string column) => Identifiers.IsValidColumnName(column)
        ? "\"" + column + "\""
        : throw new ArgumentException($"'{column}' is not a valid column name.", nameof(column));

    private static DbCommand Command(GatewayDbContext db, string sql)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        return command;
    }

    [GeneratedRegex("^dv_[0-9a-f]{16}$", RegexOptions.CultureInvariant)]
    private static partial Regex TableNamePattern();

    /// <summary>
    /// Binary COPY, the fastest way into PostgreSQL, with the rows encoded here in the documented binary COPY format
    /// (per row: field count; per field: length or -1, then text as UTF-8, int8 and float8 big-endian) and sent as
    /// raw COPY data. Npgsql's typed importer does the same but costs a converter lookup and a call per value,
    /// which was a quarter of the import's CPU time.
    /// </summary>
    private sealed class PostgresSink(NpgsqlRawCopyStream stream) : IRowSink
    {
        private static ReadOnlySpan<byte> Header => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

        private byte[] _buffer = new byte[1 << 20];
        private bool _started;
        private bool _completed;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Write(RowBatch batch)
        {
            var kinds = batch.Kinds;
            var position = 0;
            if (!_started)
            {
                Header.CopyTo(_buffer);
                position = Header.Length;
                _started = true;
            }

            for (var row = 0; row < batch.Count; row++)
            {
                // The longest row: two bytes, then per field a length and its value (text values are bounded by the record size).
                Ensure(ref position, 2 + (kinds.Length * (4 + RowBatch.HexLength)) + RowTextBytes(batch, row));
                BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(position), (short)kinds.Length);
                position += 2;
                for (var c = 0; c < kinds.Length; c++)
                {
                    var span = _buffer.AsSpan(position);
                    switch (kinds[c])
                    {
                        case ColumnKind.Text when batch.TextUtf8[c][row] is { } utf8:
                            BinaryPrimitives.WriteInt32BigEndian(span, utf8.Length);
                            utf8.CopyTo(span[4..]);
                            position += 4 + utf8.Length;
                            break;
                        case ColumnKind.Text when batch.Text[c][row] is { } text:
                            var length = Encoding.UTF8.GetBytes(text, span[4..]);
                            BinaryPrimitives.WriteInt32BigEndian(span, length);
                            position += 4 + length;
                            break;
                        case ColumnKind.UnitId:
                            BinaryPrimitives.WriteInt32BigEndian(span, RowBatch.HexLength);
                            batch.UnitIdHash(row).CopyTo(span[4..]);
                            position += 4 + RowBatch.HexLength;
                            break;
                        case ColumnKind.Integer when !batch.Nulls[c][row]:
                            BinaryPrimitives.WriteInt32BigEndian(span, 8);
                            BinaryPrimitives.WriteInt64BigEndian(span[4..], batch.Integers[c][row]);
                            position += 12;
                            break;
                        case ColumnKind.Number when !batch.Nulls[c][row]:
                            BinaryPrimitives.WriteInt32BigEndian(span, 8);
                            BinaryPrimitives.WriteDoubleBigEndian(span[4..], batch.Numbers[c][row]);
                            position += 12;
                            break;
                        default:
                            BinaryPrimitives.WriteInt32BigEndian(span, -1);
                            position += 4;
                            break;
                    }
                }
            }

            stream.Write(_buffer, 0, position);
        }

        public async Task CompleteAsync()
        {
            if (!_started)
            {
                Write(new RowBatch([], 1));
            }

            // The trailer (-1 fields), then disposing the stream ends the COPY and reports any error from the server.
            await stream.WriteAsync(new byte[] { 0xFF, 0xFF });
            _completed = true;
            await stream.DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_completed)
            {
                // Abandoned: CopyFail, the server discards what it received (the transaction then rolls back).
                await stream.CancelAsync();
            }

            await stream.DisposeAsync();
        }

        private static int RowTextBytes(RowBatch batch, int row)
        {
            var total = 0;
            for (var c = 0; c < batch.Kinds.Length; c++)
            {
                if (batch.Kinds[c] == ColumnKind.Text && batch.Text[c][row] is { } text)
                {
                    total += text.Length * 3;
                }
            }

            return total;
        }

        /// <summary>Flushes the buffer when the next row might not fit (and grows it for a huge row).</summary>
        private void Ensure(ref int position, int needed)
        {
            if (position + needed <= _buffer.Length)
            {
                return;
            }

            stream.Write(_buffer, 0, position);
            position = 0;
            if (needed > _buffer.Length)
            {
                _buffer = new byte[needed];
            }
        }
    }

    /// <summary>One prepared INSERT, reused for every row (SQLite has no bulk path; one transaction makes it fast).</summary>
    private sealed class SqliteSink(SqliteCommand insert) : IRowSink
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Write(RowBatch batch)
        {
            var kinds = batch.Kinds;
            var parameters = insert.Parameters;
            for (var row = 0; row < batch.Count; row++)
            {
                for (var c = 0; c < kinds.Length; c++)
                {
                    parameters[c].Value = kinds[c] switch
                    {
                        ColumnKind.Text => (object?)batch.Text[c][row] ?? DBNull.Value,
                        ColumnKind.UnitId => Encoding.ASCII.GetString(batch.UnitIdHash(row)),
                        ColumnKind.Integer => batch.Nulls[c][row] ? DBNull.Value : batch.Integers[c][row],
                        _ => batch.Nulls[c][row] ? DBNull.Value : batch.Numbers[c][row],
                    };
                }

                insert.ExecuteNonQuery();
            }
        }

        public Task CompleteAsync() => Task.CompletedTask;

        public ValueTask DisposeAsync() => insert.DisposeAsync();
    }
}
