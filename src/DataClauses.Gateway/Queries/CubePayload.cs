using System.IO.Compression;
using System.Text;
using DataClauses.Disclosure;
using DataClauses.Policy.Model;

namespace DataClauses.Gateway.Queries;

/// <summary>
/// The stored form of a protected cube: gzip-compressed binary, self-describing (dimensions with their codes, parents
/// and levels, measures), then one record per cell in index order: its status, and only for a published cell its
/// published count and its sums in cents. A suppressed cell is a single status byte: its values are never written,
/// so they cannot be read back.
/// </summary>
internal static class CubePayload
{
    private const string Magic = "DCCUBE";
    private const byte FormatVersion = 1;

    public static byte[] Write(ProtectedCube cube)
    {
        ArgumentNullException.ThrowIfNull(cube);
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var w = new BinaryWriter(gzip, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(FormatVersion);
            w.Write7BitEncodedInt(cube.Dimensions.Count);
            foreach (var dimension in cube.Dimensions)
            {
                w.Write(dimension.Name);
                w.Write(dimension.IsGeo);
                var hierarchy = dimension.Hierarchy;
                w.Write7BitEncodedInt(hierarchy.Count);
                for (var c = 0; c < hierarchy.Count; c++)
                {
                    w.Write(hierarchy.Codes[c]);
                    w.Write7BitEncodedInt(hierarchy.Parents[c] + 1);
                    if (dimension.IsGeo)
                    {
                        w.Write((byte)dimension.LevelOf(c));
                    }
                }

                if (dimension.IsGeo)
                {
                    w.Write7BitEncodedInt(dimension.GeoColumns.Count);
                    foreach (var (name, level) in dimension.GeoColumns.OrderBy(c => c.Key, StringComparer.Ordinal))
                    {
                        w.Write(name);
                        w.Write((byte)level);
                    }
                }
            }

            w.Write7BitEncodedInt(cube.Measures.Count);
            foreach (var measure in cube.Measures)
            {
                w.Write(measure.Name);
                w.Write((byte)measure.Kind);
            }

            w.Write7BitEncodedInt(cube.CellCount);
            for (var cell = 0; cell < cube.CellCount; cell++)
            {
                w.Write((byte)cube.StatusOf(cell));
                if (!cube.IsPublished(cell))
                {
                    continue;
                }

                var (count, sums) = cube.StoredValues(cell);
                w.Write7BitEncodedInt64(count);
                foreach (var cents in sums)
                {
                    w.Write(cents);
                }
            }
        }

        return buffer.ToArray();
    }

    public static ProtectedCube Read(byte[] payload, CubeKey key, DateTimeOffset builtAt)
    {
        ArgumentNullException.ThrowIfNull(payload);
        using var gzip = new GZipStream(new MemoryStream(payload), CompressionMode.Decompress);
        using var r = new BinaryReader(gzip, Encoding.UTF8);
        if (!string.Equals(Encoding.ASCII.GetString(r.ReadBytes(Magic.Length)), Magic, StringComparison.Ordinal) || r.ReadByte() != FormatVersion)
        {
            throw new InvalidDataException("Not a protected cube payload of a known format.");
        }

        var dimensions = new CubeDimension[r.Read7BitEncodedInt()];
        for (var d = 0; d < dimensions.Length; d++)
        {
            var name = r.ReadString();
            var geo = r.ReadBoolean();
            var count = r.Read7BitEncodedInt();
            var codes = new string[count];
            var parents = new int[count];
            var levels = geo ? new GeoLevel[count] : null;
            for (var c = 0; c < count; c++)
            {
                codes[c] = r.ReadString();
                parents[c] = r.Read7BitEncodedInt() - 1;
                if (levels is not null)
                {
                    levels[c] = (GeoLevel)r.ReadByte();
                }
            }

            Dictionary<string, GeoLevel>? columns = null;
            if (geo)
            {
                columns = new Dictionary<string, GeoLevel>(StringComparer.Ordinal);
                var n = r.Read7BitEncodedInt();
                for (var i = 0; i < n; i++)
                {
                    columns[r.ReadString()] = (GeoLevel)r.ReadByte();
                }
            }

            // Codes keep their indexes: the root first, then the others in stored order (parents may come later).
            var hierarchy = Hierarchy.FromParents(
                Enumerable.Range(1, count - 1).Select(c => (codes[c], parents[c] <= 0 ? null : (string?)codes[parents[c]])),
                codes[0]);
            dimensions[d] = new CubeDimension(name, hierarchy, levels, columns);
        }

        var measures = new CubeMeasure[r.Read7BitEncodedInt()];
        for (var m = 0; m < measures.Length; m++)
        {
            measures[m] = new CubeMeasure(r.ReadString(), (MeasureKind)r.ReadByte());
        }

        var sums = measures.Count(m => m.Kind == MeasureKind.Sum);
        var cells = r.Read7BitEncodedInt();
        var statuses = new CellStatus[cells];
        var counts = new long[cells];
        var sumCents = Enumerable.Range(0, sums).Select(_ => new long[cells]).ToArray();
        for (var cell = 0; cell < cells; cell++)
        {
            var status = (CellStatus)r.ReadByte();
            statuses[cell] = status;
            if (status is not (CellStatus.Published or CellStatus.Rounded))
            {
                continue;
            }

            counts[cell] = r.Read7BitEncodedInt64();
            for (var s = 0; s < sums; s++)
            {
                sumCents[s][cell] = r.ReadInt64();
            }
        }

        return new ProtectedCube(key, builtAt, dimensions, measures, statuses, counts, sumCents);
    }
}
