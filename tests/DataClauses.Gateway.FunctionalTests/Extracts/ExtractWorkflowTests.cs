using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using static DataClauses.Gateway.FunctionalTests.Extracts.ExtractHosts;

namespace DataClauses.Gateway.FunctionalTests.Extracts;

/// <summary>
/// The paths of an extract request over HTTP, on a shared host whose clock never moves: automatic approval, steward
/// approval, four-eyes, refusals of self-approval and of other organisations, rejection, who may read and download,
/// denials and bad input; and every produced file compared with the protected cube it comes from.
/// </summary>
public abstract class ExtractWorkflowTests(ExtractHostFixture fixture)
{
    private GatewayHost Host => fixture.Host;

    private string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Automatic_approval_produces_the_extract_at_once_and_the_requester_downloads_it_until_the_clause_maximum()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var now = Host.Clock.GetUtcNow();

        // P1Y asked; the France Travail clause keeps extracts six months at most.
        var created = await RequestOkAsync(analyst, Body([FtTable()], retention: "P1Y"));

        StatusOf(created).ShouldBe("approved");
        created.GetProperty("decision").GetProperty("effect").GetString().ShouldBe("permit");
        created.GetProperty("approvals").GetProperty("required").EnumerateObject().ShouldBeEmpty();
        created.GetProperty("retentionDeadline").GetString().ShouldBe(Instant(now.AddMonths(6)));
        created.GetProperty("requester").GetProperty("subject").GetString().ShouldBe("epci-demo-analyst");
        created.GetProperty("tables")[0].GetProperty("clause").GetString().ShouldBe("ft-demandeurs-qpv");
        var id = IdOf(created);
        id.ShouldMatch("^[0-9a-f]{32}$");

        var ready = await WaitForStatusAsync(analyst, id, "ready");
        ready.GetProperty("progress").GetInt32().ShouldBe(100);
        ready.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("format").GetString()).ShouldBe(["csv", "json"]);

        using var csv = await DownloadAsync(analyst, id, "csv");
        csv.StatusCode.ShouldBe(HttpStatusCode.OK, await csv.Content.ReadAsStringAsync());
        csv.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        csv.Content.Headers.ContentDisposition!.FileName!.Trim('"').ShouldBe($"extrait-{id[..8]}_{FranceTravail}_2024-12-31.csv");
        csv.Headers.GetValues("DataClauses-Clause").Single().ShouldBe("ft-demandeurs-qpv");
        CsvText(await csv.Content.ReadAsByteArrayAsync()).ShouldStartWith("qpv;categorie;demandeurs;statut\r\n");

        // A month asked is a month granted.
        var shorter = await RequestOkAsync(analyst, Body([FtTable()], retention: "P1M"));
        shorter.GetProperty("retentionDeadline").GetString().ShouldBe(Instant(now.AddMonths(1)));

        var events = await AuditOfAsync(Host, id);
        events.Select(e => e.Action).ShouldBe(["extract.requested", "extract.produced", "extract.downloaded"]);
        events[1].CorrelationId.ShouldBe(events[0].CorrelationId, "the job's events carry the request's correlation id");
        events[2].CorrelationId.ShouldBe(csv.Headers.GetValues("X-Correlation-Id").Single());
        events[0].Effect.ShouldBe("permit");
        events[0].Details["approval"].ShouldBe("automatic");
        events[1].Actor.Subject.ShouldBe("system:extract-jobs");
        events[2].Details["format"].ShouldBe("csv");
        (await Host.VerifyAuditChainAsync()).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task Every_produced_file_matches_the_protected_cube_cell_by_cell_and_is_encrypted_at_rest()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var filters = new Dictionary<string, string[]>[]
        {
            new(StringComparer.Ordinal),
            new(StringComparer.Ordinal) { ["anciennete"] = ["plus-2-ans"] },
            new(StringComparer.Ordinal) { ["commune"] = ["44901", "44902"] },
        };
        var created = await RequestOkAsync(analyst, Body(
        [
            FtTable(["qpv", "categorie"]),
            FtTable(["commune", "tranche_age"], new { anciennete = new[] { "plus-2-ans" } }),
            FtTable(["qpv"], new { commune = new[] { "44901", "44902" } }),
        ]));
        var id = IdOf(created);
        await WaitForStatusAsync(analyst, id, "ready");

        var json = await DownloadOkAsync(analyst, id, "json");
        using var document = JsonDocument.Parse(json);
        var metadata = document.RootElement.GetProperty("metadata");
        metadata.GetProperty("extract").GetString().ShouldBe(id);
        metadata.GetProperty("contract").GetString().ShouldBe("cdv-demo-2024-2030");
        metadata.GetProperty("clause").GetString().ShouldBe("ft-demandeurs-qpv");
        metadata.GetProperty("purpose").GetString().ShouldBe("observation");
        metadata.GetProperty("retentionDeadline").GetString().ShouldBe(created.GetProperty("retentionDeadline").GetString());
        metadata.GetProperty("datasets").EnumerateArray().ShouldAllBe(d => d.GetProperty("obligations").GetProperty("minCount").GetInt32() == 5);
        var tables = document.RootElement.GetProperty("tables");
        metadata.GetProperty("contentSha256").GetString()
            .ShouldBe(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tables.GetRawText()))));

        var suppressed = 0;
        for (var i = 0; i < 3; i++)
        {
            var dataset = metadata.GetProperty("datasets")[i];
            var cube = await StoredCubeAsync(Host.Database, FranceTravail, dataset.GetProperty("version").GetString()!, dataset.GetProperty("cubeFingerprint").GetString()!);
            var csv = CsvText(await DownloadOkAsync(analyst, id, "csv", i + 1));
            var inCsv = ShouldMatchCube(csv, cube, ["demandeurs"], filters[i]);
            ShouldMatchCube(tables[i], cube, filters[i]).ShouldBe(inCsv);
            tables[i].GetProperty("cellsSuppressed").GetInt32().ShouldBe(inCsv);
            suppressed += inCsv;
        }

        suppressed.ShouldBeGreaterThan(0, "the comparison must meet suppressed cells to mean anything");

        // At rest: the stored bytes are ciphertext bound to this extract, whose plaintext is what was downloaded.
        var stored = await StoredFilesAsync(id);
        stored.Count.ShouldBe(4);
        var protector = Host.Services.GetRequiredService<IDataProtectionProvider>();
        foreach (var (format, table, content, sha256) in stored)
        {
            var plaintext = format == "json" ? json : await DownloadOkAsync(analyst, id, "csv", table);
            content.AsSpan().IndexOf(plaintext.AsSpan(3, 40)).ShouldBe(-1, "the stored bytes must not contain the file");
            Encoding.UTF8.GetString(content).ShouldNotContain("demandeurs");
            sha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(plaintext)));
            protector.CreateProtector("DataClauses.Extracts.v1", id).Unprotect(content).ShouldBe(plaintext);
            Should.Throw<CryptographicException>(() => protector.CreateProtector("DataClauses.Extracts.v1", new string('0', 32)).Unprotect(content));
        }
    }

    [Fact]
    public async Task Steward_of_the_provider_approves_from_the_queue_and_the_file_matches_the_cube()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        using var steward = await Host.ClientForAsync("caf-44", "steward");
        using var otherSteward = await Host.ClientForAsync("ft-pdl", "steward");

        var created = await RequestOkAsync(analyst, Body([CafTable()], retention: "P2Y"));
        var id = IdOf(created);
        StatusOf(created).ShouldBe("pending-approval");
        created.GetProperty("decision").GetProperty("effect").GetString().ShouldBe("approval-required");
        created.GetProperty("approvals").GetProperty("required").GetProperty("caf-44").GetInt32().ShouldBe(1);
        using (var early = await DownloadAsync(analyst, id, "csv"))
        {
            await early.ShouldBeProblemAsync(HttpStatusCode.Conflict, "extract-not-ready");
        }

        var queue = await steward.GetFromJsonAsync<JsonElement>($"{ExtractsPath}/queue");
        var item = queue.GetProperty("extracts").EnumerateArray().Single(e => IdOf(e) == id);
        item.GetProperty("awaitingYou").GetBoolean().ShouldBeTrue();
        item.GetProperty("justification").GetString().ShouldBe(Justification);
        (await otherSteward.GetFromJsonAsync<JsonElement>($"{ExtractsPath}/queue")).GetProperty("extracts").EnumerateArray().ShouldNotContain(e => IdOf(e) == id);

        var approved = await VoteOkAsync(steward, id, "approve", "Conforme à la clause.");

        StatusOf(approved).ShouldBe("approved");
        approved.GetProperty("approvals").GetProperty("votes")[0].GetProperty("steward").GetString().ShouldBe("caf-44-steward");
        approved.GetProperty("approvals").GetProperty("complete").GetBoolean().ShouldBeTrue();
        // P2Y asked; the CAF clause keeps extracts nine months at most since amendment 1, counted from the approval.
        approved.GetProperty("retentionDeadline").GetString().ShouldBe(Instant(Host.Clock.GetUtcNow().AddMonths(9)));
        (await steward.GetFromJsonAsync<JsonElement>($"{ExtractsPath}/queue")).GetProperty("extracts").EnumerateArray().ShouldNotContain(e => IdOf(e) == id);

        await WaitForStatusAsync(analyst, id, "ready");
        var json = await DownloadOkAsync(analyst, id, "json");
        using var document = JsonDocument.Parse(json);
        var dataset = document.RootElement.GetProperty("metadata").GetProperty("datasets")[0];
        dataset.GetProperty("clause").GetString().ShouldBe("caf-foyers-qpv");
        var cube = await StoredCubeAsync(Host.Database, Caf, "2024-12-31", dataset.GetProperty("cubeFingerprint").GetString()!);
        var none = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var suppressed = ShouldMatchCube(CsvText(await DownloadOkAsync(analyst, id, "csv")), cube, ["foyers", "montant_mensuel"], none);
        suppressed.ShouldBeGreaterThan(0);
        ShouldMatchCube(document.RootElement.GetProperty("tables")[0], cube, none).ShouldBe(suppressed);

        (await ActionsOfAsync(Host, id)).ShouldBe(["extract.requested", "extract.approved", "extract.produced", "extract.downloaded", "extract.downloaded"]);
        var vote = (await AuditOfAsync(Host, id))[1];
        vote.Actor.Subject.ShouldBe("caf-44-steward");
        vote.Details["complete"].ShouldBe("true");
    }

    [Fact]
    public async Task Four_eyes_clause_needs_two_distinct_stewards_of_the_provider()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        using var first = await Host.ClientForAsync("bailleur-atlantique", "steward");
        using var second = await Host.ClientForAsync("bailleur-atlantique", "steward2");
        var id = IdOf(await RequestOkAsync(analyst, Body([BailleurTable()], retention: "P1Y")));

        var once = await VoteOkAsync(first, id, "approve");
        StatusOf(once).ShouldBe("pending-approval");
        once.GetProperty("approvals").GetProperty("required").GetProperty("bailleur-atlantique").GetInt32().ShouldBe(2);
        once.GetProperty("approvals").GetProperty("complete").GetBoolean().ShouldBeFalse();

        // The same steward twice is still one pair of eyes.
        using (var again = await VoteAsync(first, id, "approve"))
        {
            await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, "already-voted");
        }

        StatusOf(await GetOkAsync(analyst, id)).ShouldBe("pending-approval");
        var queue = await second.GetFromJsonAsync<JsonElement>($"{ExtractsPath}/queue");
        queue.GetProperty("extracts").EnumerateArray().Single(e => IdOf(e) == id).GetProperty("awaitingYou").GetBoolean().ShouldBeTrue();
        (await first.GetFromJsonAsync<JsonElement>($"{ExtractsPath}/queue")).GetProperty("extracts").EnumerateArray().Single(e => IdOf(e) == id)
            .GetProperty("awaitingYou").GetBoolean().ShouldBeFalse();

        var twice = await VoteOkAsync(second, id, "approve", "Deuxième regard.");

        StatusOf(twice).ShouldBe("approved");
        twice.GetProperty("approvals").GetProperty("votes").EnumerateArray().Select(v => v.GetProperty("steward").GetString())
            .ShouldBe(["bailleur-atlantique-steward", "bailleur-atlantique-steward2"]);
        await WaitForStatusAsync(analyst, id, "ready");
        var audit = await AuditOfAsync(Host, id);
        audit.Where(e => e.Action == "extract.approved").Select(e => e.Details["approvals"]).ShouldBe(["1/2", "2/2"]);
    }

    [Fact]
    public async Task Requester_can_never_approve_their_own_request()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var id = IdOf(await RequestOkAsync(analyst, Body([CafTable()])));

        using var response = await VoteAsync(analyst, id, "approve");

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "self-approval");
        StatusOf(await GetOkAsync(analyst, id)).ShouldBe("pending-approval");
        var refused = (await AuditOfAsync(Host, id)).Single(e => e.Action == "extract.vote-refused");
        refused.Details["problem"].ShouldBe("self-approval");
    }

    [Fact]
    public async Task Steward_of_another_organisation_cannot_see_or_approve_and_a_provider_without_the_steward_role_is_forbidden()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var id = IdOf(await RequestOkAsync(analyst, Body([CafTable()])));
        using var ftSteward = await Host.ClientForAsync("ft-pdl", "steward");
        using var cafDpo = await Host.ClientForAsync("caf-44", "dpo");

        using (var approve = await VoteAsync(ftSteward, id, "approve"))
        {
            await approve.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        }

        using (var read = await ftSteward.GetAsync($"{ExtractsPath}/{id}"))
        {
            await read.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        }

        // The CAF's DPO may read the request, not decide on it: the approve decision names the rule.
        (await GetOkAsync(cafDpo, id)).GetProperty("justification").GetString().ShouldBe(Justification);
        using (var byDpo = await VoteAsync(cafDpo, id, "approve"))
        {
            var problem = await byDpo.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            problem.GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("rule").GetString()).ShouldContain("role-not-permitted");
        }

        StatusOf(await GetOkAsync(analyst, id)).ShouldBe("pending-approval");
        (await GetOkAsync(analyst, id)).GetProperty("approvals").GetProperty("votes").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Rejection_with_a_comment_ends_the_request()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        using var steward = await Host.ClientForAsync("caf-44", "steward");
        var id = IdOf(await RequestOkAsync(analyst, Body([CafTable()])));

        using (var bare = await VoteAsync(steward, id, "reject"))
        {
            var problem = await bare.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
            problem.GetProperty("errors")[0].GetProperty("field").GetString().ShouldBe("comment");
        }

        var rejected = await VoteOkAsync(steward, id, "reject", "Le croisement demandé dépasse la finalité déclarée.");

        StatusOf(rejected).ShouldBe("rejected");
        rejected.GetProperty("approvals").GetProperty("votes")[0].GetProperty("comment").GetString().ShouldBe("Le croisement demandé dépasse la finalité déclarée.");
        using (var late = await VoteAsync(steward, id, "approve"))
        {
            (await late.ShouldBeProblemAsync(HttpStatusCode.Conflict, "extract-not-pending")).GetProperty("extractStatus").GetString().ShouldBe("rejected");
        }

        using (var download = await DownloadAsync(analyst, id, "json"))
        {
            await download.ShouldBeProblemAsync(HttpStatusCode.Conflict, "extract-not-available");
        }

        (await ActionsOfAsync(Host, id)).ShouldBe(["extract.requested", "extract.rejected"]);
        (await FileRowsAsync(Host.Database, id)).ShouldBe(0);
    }

    [Fact]
    public async Task Only_the_requester_downloads_and_anyone_else_gets_404_not_403()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var id = IdOf(await RequestOkAsync(analyst, Body([FtTable()])));
        await WaitForStatusAsync(analyst, id, "ready");
        using var colleague = Host.WithToken(await NewClientTokenAsync("epci-demo", "analyst"));
        using var admin = await Host.ClientForAsync("epci-demo", "admin");
        using var dpo = await Host.ClientForAsync("epci-demo", "dpo");
        using var providerSteward = await Host.ClientForAsync("ft-pdl", "steward");
        using var providerDpo = await Host.ClientForAsync("ft-pdl", "dpo");
        using var state = await Host.ClientForAsync("etat-prefecture", "analyst");

        foreach (var other in new[] { colleague, admin, dpo, providerSteward, providerDpo, state })
        {
            using var download = await DownloadAsync(other, id, "csv");
            await download.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        }

        // The same answer as for an id that does not exist: nothing to probe.
        using (var unknown = await DownloadAsync(colleague, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), "csv"))
        {
            await unknown.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        }

        // Reading the request is for the provider's stewards and DPO and the requester organisation's DPO, not for the others.
        (await GetOkAsync(dpo, id)).GetProperty("status").GetString().ShouldBe("ready");
        (await GetOkAsync(providerSteward, id)).GetProperty("status").GetString().ShouldBe("ready");
        (await GetOkAsync(providerDpo, id)).GetProperty("status").GetString().ShouldBe("ready");
        foreach (var other in new[] { colleague, admin, state })
        {
            using var read = await other.GetAsync($"{ExtractsPath}/{id}");
            await read.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        }

        (await ActionsOfAsync(Host, id)).ShouldNotContain("extract.downloaded");
    }

    [Fact]
    public async Task Denied_request_is_refused_with_the_reasons_audited_and_nothing_stored()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var before = await CountAsync(Host.Database, "SELECT COUNT(*) FROM extracts");

        // No CAF clause grants 'pilotage'; the open job-seekers clause has no retention, so it grants no extract.
        using var response = await RequestAsync(analyst, Body([FtTable(["commune", "categorie"]), CafTable()], purpose: "pilotage"));
        using var open = await RequestAsync(analyst, Body([FtTable(["commune", "categorie"])], purpose: "statistique"));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        problem.GetProperty("decision").GetProperty("effect").GetString().ShouldBe("deny");
        problem.GetProperty("reasons").EnumerateArray().ShouldContain(r => r.GetProperty("rule").GetString() == "purpose-not-permitted" && r.GetProperty("clause").GetString() == "caf-foyers-qpv");
        problem.GetProperty("tables").EnumerateArray().Select(t => t.GetProperty("effect").GetString()).ShouldBe(["permit", "deny"]);
        var openProblem = await open.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        openProblem.GetProperty("reasons").EnumerateArray().ShouldContain(r => r.GetProperty("rule").GetString() == "obligation-unsatisfiable" && r.GetProperty("subject").GetString() == "retention");

        (await CountAsync(Host.Database, "SELECT COUNT(*) FROM extracts")).ShouldBe(before);
        var correlationId = response.Headers.GetValues("X-Correlation-Id").Single();
        var denied = (await Host.ReadAuditAsync()).Select(r => r.Event).Single(e => e.CorrelationId == correlationId);
        denied.Action.ShouldBe("extract.denied");
        denied.Effect.ShouldBe("deny");
        denied.Purpose.ShouldBe("pilotage");
        denied.Reasons.ShouldContain(r => r.Rule == "purpose-not-permitted" && r.Clause == "caf-foyers-qpv");
    }

    [Fact]
    public async Task Invalid_requests_are_400_with_every_field_at_fault_and_unknown_datasets_404()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");

        using var response = await analyst.PostAsJsonAsync(ExtractsPath, new
        {
            tables = new object[] { new { dataset = FranceTravail, dimensions = new[] { "qpv", "qpv" }, measures = Array.Empty<string>(), purpose = "observation" } },
            purpose = "observation",
            justification = "court",
            retention = "six mois",
            extra = true,
        });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ShouldBe(
            ["extra", "justification", "retention", "tables[0].purpose", "tables[0].dimensions", "tables[0].measures"],
            ignoreOrder: true);

        using var unknown = await RequestAsync(analyst, Body([new { dataset = "inconnu", dimensions = new[] { "qpv" }, measures = new[] { "n" } }]));
        await unknown.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        using var noVersion = await RequestAsync(analyst, Body([new { dataset = Caf, version = "1999-12-31", dimensions = new[] { "qpv" }, measures = new[] { "foyers" } }]));
        await noVersion.ShouldBeProblemAsync(HttpStatusCode.NotFound, "version-not-found");
        using var text = await analyst.PostAsync(ExtractsPath, new StringContent("{}", Encoding.UTF8, "text/plain"));
        await text.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        using var anonymous = await Host.Http.PostAsJsonAsync(ExtractsPath, Body([FtTable()]));
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Lists_show_the_callers_own_extracts_and_the_stewards_their_organisations_queue()
    {
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        using var state = await Host.ClientForAsync("etat-prefecture", "analyst");
        using var cafSteward = await Host.ClientForAsync("caf-44", "steward");
        var mine = IdOf(await RequestOkAsync(analyst, Body([CafTable()])));
        var theirs = IdOf(await RequestOkAsync(state, Body([CafTable()], purpose: "evaluation")));

        var own = await analyst.GetFromJsonAsync<JsonElement>($"{ExtractsPath}?mine=true");
        own.GetProperty("extracts").EnumerateArray().Select(IdOf).ShouldContain(mine);
        own.GetProperty("extracts").EnumerateArray().ShouldAllBe(e => e.GetProperty("requester").GetProperty("subject").GetString() == "epci-demo-analyst");
        (await state.GetFromJsonAsync<JsonElement>(ExtractsPath)).GetProperty("extracts").EnumerateArray().Select(IdOf).ShouldBe([theirs]);
        var pending = await analyst.GetFromJsonAsync<JsonElement>($"{ExtractsPath}?status=pending-approval");
        pending.GetProperty("extracts").EnumerateArray().ShouldAllBe(e => StatusOf(e) == "pending-approval");

        var queue = (await cafSteward.GetFromJsonAsync<JsonElement>($"{ExtractsPath}/queue")).GetProperty("extracts").EnumerateArray().Select(IdOf).ToList();
        queue.ShouldContain(mine);
        queue.ShouldContain(theirs);
        using (var notSteward = await analyst.GetAsync($"{ExtractsPath}/queue"))
        {
            notSteward.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        using var badFilter = await analyst.GetAsync($"{ExtractsPath}?status=lost");
        await badFilter.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        using var early = await analyst.PostAsync($"{ExtractsPath}/{mine}/attest-deletion", null);
        await early.ShouldBeProblemAsync(HttpStatusCode.Conflict, "nothing-to-attest");
    }

    [Fact]
    public async Task Every_stored_file_of_every_extract_decrypts_to_cells_of_its_protected_cube_and_nothing_suppressed()
    {
        // At least one extract of each provider's clause (rounded counts, sums, filters), besides the other tests' ones.
        using var analyst = await Host.ClientForAsync("epci-demo", "analyst");
        var ft = IdOf(await RequestOkAsync(analyst, Body([FtTable(["tranche_age", "qpv"], new { categorie = new[] { "A", "B" } })])));
        var caf = IdOf(await RequestOkAsync(analyst, Body([CafTable(["commune", "prestation"])])));
        var bailleur = IdOf(await RequestOkAsync(analyst, Body([BailleurTable()])));
        using (var cafSteward = await Host.ClientForAsync("caf-44", "steward"))
        using (var first = await Host.ClientForAsync("bailleur-atlantique", "steward"))
        using (var second = await Host.ClientForAsync("bailleur-atlantique", "steward2"))
        {
            await VoteOkAsync(cafSteward, caf, "approve");
            await VoteOkAsync(first, bailleur, "approve");
            await VoteOkAsync(second, bailleur, "approve");
        }

        foreach (var id in new[] { ft, caf, bailleur })
        {
            await WaitForStatusAsync(analyst, id, "ready");
        }

        var protector = Host.Services.GetRequiredService<IDataProtectionProvider>();
        var extracts = await ReadyExtractsAsync();
        new[] { ft, caf, bailleur }.ShouldAllBe(id => extracts.ContainsKey(id));
        var files = 0;
        var suppressed = 0;
        foreach (var (id, tablesJson) in extracts)
        {
            var stored = await StoredFilesAsync(id);
            using var tables = JsonDocument.Parse(tablesJson);
            stored.Count.ShouldBe(tables.RootElement.GetArrayLength() + 1, id);
            var plain = stored.ToDictionary(f => (f.Format, f.Table), f => protector.CreateProtector("DataClauses.Extracts.v1", id).Unprotect(f.Content));
            foreach (var file in stored)
            {
                Convert.ToHexStringLower(SHA256.HashData(plain[(file.Format, file.Table)])).ShouldBe(file.Sha256);
            }

            using var json = JsonDocument.Parse(plain[("json", 0)]);
            var datasets = json.RootElement.GetProperty("metadata").GetProperty("datasets");
            for (var t = 0; t < tables.RootElement.GetArrayLength(); t++)
            {
                var table = tables.RootElement[t];
                var filters = table.GetProperty("filters").EnumerateArray()
                    .ToDictionary(f => f.GetProperty("dimension").GetString()!, f => f.GetProperty("values").EnumerateArray().Select(v => v.GetString()!).ToArray(), StringComparer.Ordinal);
                var measures = table.GetProperty("measures").EnumerateArray().Select(m => m.GetString()!).ToList();
                var cube = await StoredCubeAsync(Host.Database, table.GetProperty("dataset").GetString()!, table.GetProperty("version").GetString()!, datasets[t].GetProperty("cubeFingerprint").GetString()!);
                var inCsv = ShouldMatchCube(CsvText(plain[("csv", t + 1)]), cube, measures, filters);
                ShouldMatchCube(json.RootElement.GetProperty("tables")[t], cube, filters).ShouldBe(inCsv, id);
                suppressed += inCsv;
                files += 2;
            }
        }

        files.ShouldBeGreaterThanOrEqualTo(6);
        suppressed.ShouldBeGreaterThan(0);
    }

    /// <summary>Every ready extract's id and stored tables (as the gateway keeps them).</summary>
    private async Task<Dictionary<string, string>> ReadyExtractsAsync()
    {
        await using var connection = await Host.Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, tables_json FROM extracts WHERE status = 'ready'";
        await using var reader = await command.ExecuteReaderAsync();
        var extracts = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            extracts[reader.GetString(0)] = reader.GetString(1);
        }

        return extracts;
    }

    private async Task<List<(string Format, int Table, byte[] Content, string Sha256)>> StoredFilesAsync(string id)
    {
        await using var connection = await Host.Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT format, table_index, content, sha256 FROM extract_files WHERE extract_id = '{id}' ORDER BY format, table_index";
        await using var reader = await command.ExecuteReaderAsync();
        var files = new List<(string, int, byte[], string)>();
        while (await reader.ReadAsync())
        {
            files.Add((reader.GetString(0), reader.GetInt32(1), (byte[])reader.GetValue(2), reader.GetString(3)));
        }

        return files;
    }

    /// <summary>A new client of the organisation (created by its demo admin) and its token.</summary>
    private async Task<string> NewClientTokenAsync(string organisation, string role)
    {
        using var admin = await Host.ClientForAsync(organisation, "admin");
        var clientId = $"{organisation}-{role}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        using var created = await admin.PostAsJsonAsync("api/v1/admin/clients", new { clientId, roles = new[] { role } });
        var body = await GatewayHost.JsonOf(created);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, body.ToString());
        return await Host.GetTokenAsync(clientId, body.GetProperty("clientSecret").GetString()!);
    }
}

public sealed class ExtractWorkflowTests_on_Sqlite(SqliteExtractHost fixture) : ExtractWorkflowTests(fixture), IClassFixture<SqliteExtractHost>;

public sealed class ExtractWorkflowTests_on_PostgreSql(PostgreSqlExtractHost fixture) : ExtractWorkflowTests(fixture), IClassFixture<PostgreSqlExtractHost>;
