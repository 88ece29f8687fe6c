using System.Security.Cryptography;

namespace DataClauses.Audit.Tests;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    internal static AuditEvent Event(int i) => new()
    {
        Action = i % 3 == 0 ? "query.denied" : "query.answered",
        Timestamp = Start.AddSeconds(i),
        Actor = new AuditActor($"analyst-{i % 4}", "epci-demo", ["analyst"], $"client-{i % 4}", "127.0.0.1"),
        Outcome = i % 3 == 0 ? "denied" : "success",
        DataOwner = "caf-44",
        Dataset = "caf-foyers-allocataires",
        Version = "2024-12-31",
        Purpose = "observation",
        Effect = i % 3 == 0 ? "deny" : "permit",
        Reasons = i % 3 == 0 ? [new AuditReason("purpose-not-permitted", "caf-foyers-qpv", "pilotage")] : [],
        Obligations = new Dictionary<string, string>(StringComparer.Ordinal) { ["minCount"] = "11" },
        CellsSuppressed = i % 5,
        CorrelationId = $"corr-{i}",
        NodeId = "epci-demo",
        Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["cells"] = "24", ["é"] = "ü \"quoted\"" },
    };

    internal static List<StoredAuditRow> Chain(int count)
    {
        var rows = new List<StoredAuditRow>(count);
        var previous = AuditChain.GenesisHash;
        for (var i = 1; i <= count; i++)
        {
            var sealedEvent = AuditChain.Seal(i, previous, Event(i));
            rows.Add(new StoredAuditRow(sealedEvent.Sequence, sealedEvent.PreviousHash, sealedEvent.Hash, sealedEvent.Canonical));
            previous = sealedEvent.Hash;
        }

        return rows;
    }

    [Fact]
    public void The_canonical_form_sorts_keys_and_round_trips()
    {
        var canonical = AuditCanonicalForm.Write(7, AuditChain.GenesisHash, Event(3));

        canonical.ShouldStartWith("{\"action\":\"query.denied\",\"actor\":{\"clientId\":\"client-3\"");
        canonical.ShouldNotContain(" \"");
        var (sequence, previous, read) = AuditCanonicalForm.Read(canonical);
        sequence.ShouldBe(7);
        previous.ShouldBe(AuditChain.GenesisHash);
        AuditCanonicalForm.Write(7, AuditChain.GenesisHash, read).ShouldBe(canonical);
    }

    [Fact]
    public void The_same_event_always_hashes_the_same_whatever_the_order_of_its_maps()
    {
        var a = Event(4) with { Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["b"] = "2", ["a"] = "1" } };
        var b = Event(4) with { Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["a"] = "1", ["b"] = "2" } };

        AuditChain.Seal(1, AuditChain.GenesisHash, a).Hash.ShouldBe(AuditChain.Seal(1, AuditChain.GenesisHash, b).Hash);
    }

    [Fact]
    public void An_intact_chain_verifies()
    {
        var result = AuditVerifier.Verify(Chain(50));

        result.Intact.ShouldBeTrue();
        result.EventsChecked.ShouldBe(50);
        result.FirstBadSequence.ShouldBeNull();
    }

    [Fact]
    public void An_edited_field_is_a_hash_mismatch_at_its_position()
    {
        var rows = Chain(20);
        rows[11] = rows[11] with { Canonical = rows[11].Canonical.Replace("\"purpose\":\"observation\"", "\"purpose\":\"evaluation\"", StringComparison.Ordinal) };

        var result = AuditVerifier.Verify(rows);

        result.Intact.ShouldBeFalse();
        result.FirstBadSequence.ShouldBe(12);
        result.Problem.ShouldBe(AuditVerifier.HashMismatch);
    }

    [Fact]
    public void An_edited_event_with_a_recomputed_hash_breaks_the_link_to_the_next()
    {
        var rows = Chain(20);
        var forged = AuditChain.Seal(12, rows[10].Hash, Event(12) with { Purpose = "evaluation" });
        rows[11] = new StoredAuditRow(12, forged.PreviousHash, forged.Hash, forged.Canonical);

        var result = AuditVerifier.Verify(rows);

        result.FirstBadSequence.ShouldBe(13);
        result.Problem.ShouldBe(AuditVerifier.BrokenLink);
    }

    [Fact]
    public void A_deleted_row_is_a_missing_event()
    {
        var rows = Chain(20);
        rows.RemoveAt(7);

        var result = AuditVerifier.Verify(rows);

        result.FirstBadSequence.ShouldBe(8);
        result.Problem.ShouldBe(AuditVerifier.MissingEvent);
    }

    [Fact]
    public void An_inserted_row_is_reported_where_it_was_inserted()
    {
        var rows = Chain(20);
        var inserted = AuditChain.Seal(6, rows[4].Hash, Event(99));
        rows.Insert(5, new StoredAuditRow(6, inserted.PreviousHash, inserted.Hash, inserted.Canonical));

        var result = AuditVerifier.Verify(rows);

        // The forged event 6 is well formed; the original 6 that follows it is out of order.
        result.FirstBadSequence.ShouldBe(6);
        result.Problem.ShouldBe(AuditVerifier.Reordered);
    }

    [Fact]
    public void Two_swapped_rows_are_reported_at_the_first_of_them()
    {
        var rows = Chain(20);
        (rows[9], rows[10]) = (rows[10], rows[9]);

        var result = AuditVerifier.Verify(rows);

        result.FirstBadSequence.ShouldBe(10);
        result.Problem.ShouldBe(AuditVerifier.MissingEvent);
    }

    [Fact]
    public void A_renumbered_row_disagrees_with_its_hashed_content()
    {
        var rows = Chain(20);
        rows[4] = rows[4] with { PreviousHash = rows[2].Hash };

        var result = AuditVerifier.Verify(rows);

        result.FirstBadSequence.ShouldBe(5);
        result.Problem.ShouldBe(AuditVerifier.BadCanonicalForm);
    }

    [Fact]
    public void A_truncated_tail_is_only_visible_with_a_checkpoint_beyond_it()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rows = Chain(30);
        var checkpoint = AuditCheckpoint.Sign("epci-demo", 30, rows[29].Hash, Start.AddHours(1), "k1", key);

        AuditVerifier.Verify(rows.Take(25)).Intact.ShouldBeTrue();
        var result = AuditVerifier.Verify(rows.Take(25), [checkpoint], kid => kid == "k1" ? key : null);

        result.Intact.ShouldBeFalse();
        result.FirstBadSequence.ShouldBe(26);
        result.Problem.ShouldBe(AuditVerifier.CheckpointMismatch);
    }

    [Fact]
    public void A_chain_rewritten_after_a_checkpoint_is_caught_by_it()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rows = Chain(30);
        var checkpoint = AuditCheckpoint.Sign("epci-demo", 20, rows[19].Hash, Start.AddHours(1), "k1", key);

        // An attacker rewrites event 10 and recomputes every later hash: the chain is consistent again...
        var previous = rows[8].Hash;
        for (var i = 10; i <= 30; i++)
        {
            var forged = AuditChain.Seal(i, previous, i == 10 ? Event(i) with { Purpose = "evaluation" } : Event(i));
            rows[i - 1] = new StoredAuditRow(i, forged.PreviousHash, forged.Hash, forged.Canonical);
            previous = forged.Hash;
        }

        AuditVerifier.Verify(rows).Intact.ShouldBeTrue();

        // ...but not with the signed head.
        var result = AuditVerifier.Verify(rows, [checkpoint], kid => kid == "k1" ? key : null);
        result.FirstBadSequence.ShouldBe(20);
        result.Problem.ShouldBe(AuditVerifier.CheckpointMismatch);
    }

    [Fact]
    public void A_replaced_checkpoint_has_a_bad_signature()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rows = Chain(30);
        var genuine = AuditCheckpoint.Sign("epci-demo", 20, rows[19].Hash, Start.AddHours(1), "k1", key);
        var replaced = genuine with { Hash = rows[18].Hash };
        var forgedKey = AuditCheckpoint.Sign("epci-demo", 20, rows[19].Hash, Start.AddHours(1), "k1", attacker);

        AuditVerifier.Verify(rows, [genuine], kid => kid == "k1" ? key : null).Intact.ShouldBeTrue();
        var tampered = AuditVerifier.Verify(rows, [replaced], kid => kid == "k1" ? key : null);
        tampered.Problem.ShouldBe(AuditVerifier.BadSignature);
        tampered.FirstBadSequence.ShouldBe(20);
        AuditVerifier.Verify(rows, [forgedKey], kid => kid == "k1" ? key : null).Problem.ShouldBe(AuditVerifier.BadSignature);
        AuditVerifier.Verify(rows, [genuine], _ => null).Problem.ShouldBe(AuditVerifier.BadSignature);
    }

    [Fact]
    public void A_range_verifies_from_an_anchor()
    {
        var rows = Chain(40);

        AuditVerifier.Verify(rows.Skip(20), 21, rows[19].Hash).Intact.ShouldBeTrue();
        AuditVerifier.Verify(rows.Skip(20), 21, rows[18].Hash).Problem.ShouldBe(AuditVerifier.BrokenLink);
    }

    [Fact]
    public void An_export_round_trips_and_verifies_with_the_public_key_alone()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(false);
        var jwk = $$"""{"kty":"EC","crv":"P-256","x":"{{B64(parameters.Q.X!)}}","y":"{{B64(parameters.Q.Y!)}}","kid":"k1"}""";
        var rows = Chain(12);
        var checkpoint = AuditCheckpoint.Sign("epci-demo", 10, rows[9].Hash, Start.AddHours(1), "k1", key);
        var header = new AuditExportHeader("epci-demo", 1, AuditChain.GenesisHash, Start.AddDays(1), new Dictionary<string, string>(StringComparer.Ordinal) { ["k1"] = jwk });
        using var writer = new StringWriter();
        AuditExport.Write(writer, header, rows, [checkpoint]);

        var (readHeader, readRows, readCheckpoints) = AuditExport.Read(new StringReader(writer.ToString()));

        readRows.Count.ShouldBe(12);
        readCheckpoints.ShouldHaveSingleItem().ShouldBe(checkpoint);
        AuditExport.Verify(readHeader, readRows, readCheckpoints).Intact.ShouldBeTrue();
        var edited = writer.ToString().Replace("\\u0022observation\\u0022", "\\u0022evaluation\\u0022", StringComparison.Ordinal);
        edited.ShouldNotBe(writer.ToString());
        var (h2, r2, c2) = AuditExport.Read(new StringReader(edited));
        AuditExport.Verify(h2, r2, c2).Problem.ShouldBe(AuditVerifier.HashMismatch);
    }

    [Fact]
    public void A_malformed_export_names_its_line()
    {
        var ex = Should.Throw<FormatException>(() => AuditExport.Read(new StringReader("{\"format\":\"dataclauses-audit-export-v1\",\"nodeId\":\"n\",\"firstSequence\":1,\"previousHash\":\"x\",\"exportedAt\":\"2026-01-01T00:00:00Z\",\"keys\":{}}\nnot json\n")));
        ex.Message.ShouldStartWith("line 2:");
        Should.Throw<FormatException>(() => AuditExport.Read(new StringReader("{\"format\":\"other\"}"))).Message.ShouldStartWith("line 1:");
    }

    [Fact]
    public void A_checkpoint_turned_into_an_anchor_afterwards_has_a_bad_signature()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rows = Chain(30);
        var periodic = AuditCheckpoint.Sign("epci-demo", 20, rows[19].Hash, Start.AddHours(1), "k1", key);

        var promoted = periodic with { Kind = AuditCheckpoint.Anchor };

        periodic.VerifySignature(key).ShouldBeTrue();
        promoted.VerifySignature(key).ShouldBeFalse();
        var result = AuditVerifier.Verify(rows.Skip(20), [promoted], kid => kid == "k1" ? key : null, 21, rows[19].Hash);
        result.Problem.ShouldBe(AuditVerifier.BadSignature);
        result.FirstBadSequence.ShouldBe(20);
    }

    [Fact]
    public void What_remains_after_a_purge_verifies_from_its_signed_anchor()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rows = Chain(40);
        var anchor = AuditCheckpoint.Sign("epci-demo", 20, rows[19].Hash, Start.AddHours(1), "k1", key, AuditCheckpoint.Anchor);
        var later = AuditCheckpoint.Sign("epci-demo", 35, rows[34].Hash, Start.AddHours(2), "k1", key);

        var result = AuditVerifier.Verify(rows.Skip(20), [anchor, later], kid => kid == "k1" ? key : null, 21, anchor.Hash);

        result.Intact.ShouldBeTrue(result.Detail);
        result.CheckpointsChecked.ShouldBe(2);
        result.EventsChecked.ShouldBe(20);
        result.HeadSequence.ShouldBe(40);
    }

    [Fact]
    public void A_chain_that_does_not_start_where_its_anchor_says_is_a_checkpoint_mismatch_at_the_anchor()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rows = Chain(40);
        var anchor = AuditCheckpoint.Sign("epci-demo", 20, rows[19].Hash, Start.AddHours(1), "k1", key, AuditCheckpoint.Anchor);

        var result = AuditVerifier.Verify(rows.Skip(20), [anchor], kid => kid == "k1" ? key : null, 21, rows[18].Hash);

        result.Problem.ShouldBe(AuditVerifier.CheckpointMismatch);
        result.FirstBadSequence.ShouldBe(20);
    }

    [Fact]
    public void An_edited_event_before_a_forged_checkpoint_is_named_first()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rows = Chain(30);
        var forged = AuditCheckpoint.Sign("epci-demo", 25, rows[24].Hash, Start.AddHours(1), "k1", key) with { Hash = rows[23].Hash };
        rows[9] = rows[9] with { Canonical = rows[9].Canonical.Replace("corr-10", "corr-99", StringComparison.Ordinal) };

        var result = AuditVerifier.Verify(rows, [forged], kid => kid == "k1" ? key : null);

        result.FirstBadSequence.ShouldBe(10);
        result.Problem.ShouldBe(AuditVerifier.HashMismatch);
    }

    [Fact]
    public void A_long_chain_hashed_in_parallel_names_the_same_first_bad_position()
    {
        var rows = Chain(20_000);
        rows[17_321] = rows[17_321] with { Canonical = rows[17_321].Canonical.Replace("corr-17322", "corr-00000", StringComparison.Ordinal) };
        rows[19_000] = rows[19_000] with { Canonical = rows[19_000].Canonical.Replace("corr-19001", "corr-00000", StringComparison.Ordinal) };

        var result = AuditVerifier.Verify(rows);

        result.FirstBadSequence.ShouldBe(17_322);
        result.Problem.ShouldBe(AuditVerifier.HashMismatch);
        result.EventsChecked.ShouldBe(17_322);
        AuditVerifier.Verify(Chain(20_000)).Intact.ShouldBeTrue();
    }

    [Fact]
    public void An_export_that_starts_after_the_first_event_needs_a_signed_anchor()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(false);
        var jwk = $$"""{"kty":"EC","crv":"P-256","x":"{{B64(parameters.Q.X!)}}","y":"{{B64(parameters.Q.Y!)}}","kid":"k1"}""";
        var rows = Chain(30);
        var anchor = AuditCheckpoint.Sign("epci-demo", 10, rows[9].Hash, Start.AddHours(1), "k1", key, AuditCheckpoint.Anchor);
        var header = new AuditExportHeader("epci-demo", 11, rows[9].Hash, Start.AddDays(1), new Dictionary<string, string>(StringComparer.Ordinal) { ["k1"] = jwk });

        using var anchored = new StringWriter();
        AuditExport.Write(anchored, header, rows.Skip(10), [anchor]);
        var (h1, r1, c1) = AuditExport.Read(new StringReader(anchored.ToString()));
        using var bare = new StringWriter();
        AuditExport.Write(bare, header, rows.Skip(10), []);
        var (h2, r2, c2) = AuditExport.Read(new StringReader(bare.ToString()));

        c1.ShouldHaveSingleItem().Kind.ShouldBe(AuditCheckpoint.Anchor);
        AuditExport.Verify(h1, r1, c1).Intact.ShouldBeTrue();
        var unanchored = AuditExport.Verify(h2, r2, c2);
        unanchored.Problem.ShouldBe(AuditVerifier.MissingEvent);
        unanchored.FirstBadSequence.ShouldBe(10);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
