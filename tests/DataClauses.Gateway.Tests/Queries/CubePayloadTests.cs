using System.IO.Compression;
using DataClauses.Disclosure;
using DataClauses.Gateway.Queries;
using static DataClauses.Gateway.Tests.Queries.SmallCube;

namespace DataClauses.Gateway.Tests.Queries;

public sealed class CubePayloadTests
{
    [Fact]
    public void Stored_cube_reads_back_with_the_same_dimensions_statuses_and_published_values()
    {
        var read = CubePayload.Read(CubePayload.Write(Cube), Cube.Key, Cube.BuiltAt);

        read.CellCount.ShouldBe(Cube.CellCount);
        read.Dimensions.Select(d => d.Name).ShouldBe(Cube.Dimensions.Select(d => d.Name));
        for (var d = 0; d < Cube.Dimensions.Count; d++)
        {
            read.Dimensions[d].Hierarchy.Codes.ShouldBe(Cube.Dimensions[d].Hierarchy.Codes);
            read.Dimensions[d].Hierarchy.Parents.ShouldBe(Cube.Dimensions[d].Hierarchy.Parents);
            read.Dimensions[d].IsGeo.ShouldBe(Cube.Dimensions[d].IsGeo);
        }

        read.Dimensions[0].GeoColumns.OrderBy(c => c.Key).ShouldBe(Cube.Dimensions[0].GeoColumns.OrderBy(c => c.Key));
        read.Measures.ShouldBe(Cube.Measures);
        for (var cell = 0; cell < Cube.CellCount; cell++)
        {
            read.StatusOf(cell).ShouldBe(Cube.StatusOf(cell));
            read.ValueOf(0, cell).ShouldBe(Cube.ValueOf(0, cell));
            read.ValueOf(1, cell).ShouldBe(Cube.ValueOf(1, cell));
        }

        read.PrimaryCount.ShouldBe(Cube.PrimaryCount);
        read.SecondaryCount.ShouldBe(Cube.SecondaryCount);
    }

    [Fact]
    public void Suppressed_cells_are_stored_as_a_status_byte_and_nothing_else()
    {
        // A sensitive cell with a distinctive amount: the amount must not appear anywhere in the stored bytes.
        const double secret = 7_654_321.09;
        LeafAggregate[] aggregates = [new([Q1, "a"], 10, [100]), new([Q1, "b"], 1, [secret]), new([Q2, "a"], 10, [100]), new([Q2, "b"], 10, [100]), new([Q3, "a"], 10, [100]), new([Q3, "b"], 10, [100])];
        var cube = CubeBuilder.FromAggregates(Definition(), "v", aggregates, null, DateTimeOffset.UnixEpoch);
        var secretCell = cube.IndexOf([cube.Dimensions[0].Hierarchy.IndexOf(Q1), cube.Dimensions[1].Hierarchy.IndexOf("b")]);
        cube.StatusOf(secretCell).ShouldBe(CellStatus.SuppressedPrimary);
        cube.ValueOf(1, secretCell).ShouldBeNull();

        var raw = Decompress(CubePayload.Write(cube));

        raw.AsSpan().IndexOf(BitConverter.GetBytes(765_432_109L)).ShouldBe(-1);
        raw.AsSpan().IndexOf(BitConverter.GetBytes(secret)).ShouldBe(-1);
        var read = CubePayload.Read(CubePayload.Write(cube), cube.Key, cube.BuiltAt);
        read.StatusOf(secretCell).ShouldBe(CellStatus.SuppressedPrimary);
        read.ValueOf(0, secretCell).ShouldBeNull();
        read.ValueOf(1, secretCell).ShouldBeNull();
    }

    [Fact]
    public void A_payload_of_another_format_is_refused()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("NOTACUBE"u8);
        }

        Should.Throw<InvalidDataException>(() => CubePayload.Read(buffer.ToArray(), Cube.Key, Cube.BuiltAt));
    }

    private static byte[] Decompress(byte[] payload)
    {
        using var gzip = new GZipStream(new MemoryStream(payload), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        gzip.CopyTo(raw);
        return raw.ToArray();
    }
}
