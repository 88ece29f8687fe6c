using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataClauses.Gateway.FunctionalTests.Audit;
using DataClauses.Gateway.FunctionalTests.Catalog;
using DataClauses.Gateway.FunctionalTests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static DataClauses.Gateway.FunctionalTests.Federation.FederatedNodes;

namespace DataClauses.Gateway.FunctionalTests.Federation;

/// <summary>
/// Federation across three real gateway processes (<see cref="FederatedNodes"/>): a query about the CAF's data asked at
/// the EPCI node is forwarded to the CAF node, which decides, protects, audits and answers; no CAF row reaches the
/// EPCI node; both audits hold the same correlation id and both chains verify; publishing to a node that does not
/// hold the dataset is refused naming the holder; forged, replayed, expired, misaddressed or drifting assertions are
/// refused and audited; a holding node that is down is a clean 502 and service resumes when it is back.
/// </summary>
public sealed class FederationTests(FederatedNodes nodes) : IClassFixture<FederatedNodes>
{
    private const string CafDataset = "caf-foyers-allocataires";
    private static readonly object Query = new { dataset = CafDataset, purpose = "observation", dimensions = new[] { "qpv", "type_menage" }, measures = new[] { "foyers" } };

    [Fact]
    public async Task Epci_analyst_queries_caf_data_through_the_epci_node_and_gets_exactly_the_cells_the_caf_node_serves()
    {
        var correlationId = "fed-" + Guid.NewGuid().ToString("N");
        using var atEpci = await nodes.ClientAsync(Epci, Epci, "analyst");
        using var forwarded = await PostAsync(atEpci, "api/v1/queries", Query, correlationId);
        var body = await forwarded.Content.ReadAsStringAsync();
        forwarded.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        forwarded.Headers.GetValues("X-Correlation-Id").ShouldBe([correlationId]);
        forwarded.Headers.GetValues("DataClauses-Clause").Single().ShouldBe("caf-foyers-qpv");

        // The same person's query asked at the CAF node itself.
        using var atCaf = await nodes.ClientAsync(Caf, Epci, "analyst");
        using var direct = await atCaf.PostAsJsonAsync("api/v1/queries", Query);
        var directBody = await direct.Content.ReadAsStringAsync();
        direct.StatusCode.ShouldBe(HttpStatusCode.OK, directBody);
        using (var viaEpci = JsonDocument.Parse(body))
        using (var local = JsonDocument.Parse(directBody))
        {
            var cells = viaEpci.RootElement.GetProperty("cells");
            cells.GetArrayLength().ShouldBeGreaterThan(0);
            cells.EnumerateArray().Count(c => c.GetProperty("status").GetString() == "secret").ShouldBeGreaterThan(0, "the demo's small counts are secret");
            cells.GetRawText().ShouldBe(local.RootElement.GetProperty("cells").GetRawText());
        }

        // Both nodes audited the request under one correlation id: forwarded here (written once the answer is ended),
        // answered there for the EPCI's node.
        await Catalog.Poll.UntilAsync(async () => (await nodes.DatabaseOf(Epci).ReadAuditAsync()).Any(r => r.Event.CorrelationId == correlationId), "the EPCI node's federation.forwarded event", 30);
        var epciEvents = (await nodes.DatabaseOf(Epci).ReadAuditAsync()).Where(r => r.Event.CorrelationId == correlationId).Select(r => r.Event).ToList();
        var forwardedEvent = epciEvents.ShouldHaveSingleItem();
        forwardedEvent.Action.ShouldBe("federation.forwarded");
        forwardedEvent.Details["node"].ShouldBe(Caf);
        forwardedEvent.Details["status"].ShouldBe("200");
        forwardedEvent.Actor.Subject.ShouldBe(Demo.DemoAccounts.ClientId(Epci, "analyst"));
        var cafEvents = (await nodes.DatabaseOf(Caf).ReadAuditAsync()).Where(r => r.Event.CorrelationId == correlationId).Select(r => r.Event).ToList();
        var answered = cafEvents.Where(e => e.Action.StartsWith("query.", StringComparison.Ordinal)).ShouldHaveSingleItem(string.Join(", ", cafEvents.Select(e => e.Action)));
        answered.Action.ShouldBe("query.answered");
        answered.Details["node"].ShouldBe(Epci);
        answered.Actor.Organisation.ShouldBe(Epci);
        answered.Actor.ClientId.ShouldBe("node:" + Epci);

        foreach (var (node, organisation) in new[] { (Epci, Epci), (Caf, Caf) })
        {
            using var dpo = await nodes.ClientAsync(node, organisation, "dpo");
            (await AuditApi.VerifyAsync(dpo)).GetProperty("intact").GetBoolean().ShouldBeTrue(node);
        }

        // Not one CAF row in the EPCI node's database: no version, no table, no protected cube of a CAF dataset.
        var epci = nodes.DatabaseOf(Epci);
        Convert.ToInt64(await epci.ScalarAsync("SELECT COUNT(*) FROM dataset_versions WHERE dataset_id LIKE 'caf-%'"), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(0);
        Convert.ToInt64(await epci.ScalarAsync("SELECT COUNT(*) FROM datasets WHERE dataset_id LIKE 'caf-%'"), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(0);
        Convert.ToInt64(await epci.ScalarAsync("SELECT COUNT(*) FROM protected_cubes WHERE dataset_id LIKE 'caf-%'"), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(0);
        // Every table of rows there belongs to a version it holds: the bailleur's (a provider without a node of its own).
        (await Publishing.VersionTablesAsync(epci)).ShouldBe(await Publishing.VersionRowTablesAsync(epci));
        (await Publishing.StringsAsync(epci, "SELECT DISTINCT dataset_id FROM dataset_versions")).ShouldAllBe(d => d.StartsWith("bailleur-", StringComparison.Ordinal));
        Convert.ToInt64(await nodes.DatabaseOf(Caf).ScalarAsync("SELECT COUNT(*) FROM dataset_versions WHERE dataset_id LIKE 'caf-%'"), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Publishing_caf_data_to_the_epci_node_is_refused_with_the_holding_node_named_and_changes_nothing()
    {
        using var publisher = await nodes.ClientAsync(Epci, Caf, "publisher");
        using var content = new StringContent("qpv,type_menage\n", System.Text.Encoding.UTF8, "text/csv");
        using var response = await publisher.PutAsync($"api/v1/datasets/{CafDataset}/versions/2031-01-01", content);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.MisdirectedRequest, "not-held-here");
        problem.GetProperty("node").GetString().ShouldBe(Caf);
        problem.GetProperty("nodeUrl").GetString().ShouldBe(nodes.ContractUrlOf(Caf).ToString());
        (await Publishing.StoredVersionsAsync(nodes.DatabaseOf(Epci), CafDataset)).ShouldBeEmpty();
        var rejected = (await nodes.DatabaseOf(Epci).ReadAuditAsync()).Last(r => r.Event.Action == "dataset.publish-rejected").Event;
        rejected.Details["reason"].ShouldBe("not-held-here");
    }

    public static TheoryData<string, string, int> Forgeries => new()
    {
        { "expired", "peer-assertion-expired", 401 },
        { "wrong-audience", "peer-wrong-audience", 401 },
        { "tampered", "peer-bad-signature", 401 },
        { "another-key", "peer-bad-signature", 401 },
        { "untrusted-node", "peer-untrusted", 403 },
        { "unknown-contract", "peer-untrusted", 403 },
        { "too-long", "peer-assertion-invalid", 401 },
        { "other-organisation", "peer-organisation", 403 },
        { "drift", "contract-drift", 409 },
        { "wrong-type", "peer-assertion-invalid", 401 },
    };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Forged_assertion_is_refused_with_its_problem_and_audited_at_the_holding_node(string forgery, string type, int status)
    {
        var now = DateTime.UtcNow;
        var (issuer, audience, organisation, contract, hash, issued, expires, tokenType) =
            ("etat-prefecture", Caf, "etat-prefecture", Contract, nodes.ContractHash, now, now.AddSeconds(30), "dataclauses-peer+jwt");
        using var otherKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var key = nodes.PrefectureKey;
        switch (forgery)
        {
            case "expired": (issued, expires) = (now.AddSeconds(-50), now.AddSeconds(-20)); break;
            case "wrong-audience": audience = FranceTravail; break;
            case "another-key": key = otherKey; break;
            case "untrusted-node": (issuer, organisation) = ("bailleur-atlantique", "bailleur-atlantique"); break;
            case "unknown-contract": contract = "cdv-autre"; break;
            case "too-long": expires = now.AddSeconds(120); break;
            case "other-organisation": organisation = Epci; break;
            case "drift": hash = new string('0', 64); break;
            case "wrong-type": tokenType = "at+jwt"; break;
        }

        var token = Assertion(key, issuer, audience, organisation, contract, hash, issued, expires, tokenType);
        if (forgery == "tampered")
        {
            // The payload says another organisation; the signature is the original one.
            var parts = token.Split('.');
            var payload = Base64UrlEncoder.Decode(parts[1]).Replace("\"etat-prefecture\",\"roles\"", "\"caf-44\",\"roles\"", StringComparison.Ordinal);
            payload.ShouldContain("\"caf-44\",\"roles\"");
            token = $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
        }

        var correlationId = "forged-" + Guid.NewGuid().ToString("N");
        using var response = await SendAsAPeerAsync(token, correlationId);

        var problem = await response.ShouldBeProblemAsync((HttpStatusCode)status, type);
        if (forgery == "drift")
        {
            problem.GetProperty("detail").GetString()!.ShouldContain(nodes.ContractHash);
            problem.GetProperty("detail").GetString()!.ShouldContain(hash);
        }

        var refused = (await nodes.DatabaseOf(Caf).ReadAuditAsync()).Where(r => r.Event.CorrelationId == correlationId).Select(r => r.Event).ToList().ShouldHaveSingleItem();
        refused.Action.ShouldBe("federation.peer-refused");
        refused.Details["reason"].ShouldBe(type);
    }

    [Fact]
    public async Task A_valid_assertion_of_a_trusted_node_is_accepted_once_and_its_replay_refused()
    {
        var now = DateTime.UtcNow;
        var token = Assertion(nodes.PrefectureKey, "etat-prefecture", Caf, "etat-prefecture", Contract, nodes.ContractHash, now, now.AddSeconds(30), "dataclauses-peer+jwt");

        using (var first = await SendAsAPeerAsync(token, "peer-" + Guid.NewGuid().ToString("N")))
        {
            // The prefecture's analyst is a recipient of the CAF's clause: the CAF node decides and answers.
            var body = await first.Content.ReadAsStringAsync();
            first.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        }

        using var replay = await SendAsAPeerAsync(token, "replay-" + Guid.NewGuid().ToString("N"));
        await replay.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "peer-assertion-replayed");
    }

    [Fact]
    public async Task A_peer_assertion_opens_no_other_endpoint_than_those_a_peer_forwards_to()
    {
        var now = DateTime.UtcNow;
        var token = Assertion(nodes.PrefectureKey, "etat-prefecture", Caf, "etat-prefecture", Contract, nodes.ContractHash, now, now.AddSeconds(30), "dataclauses-peer+jwt", ["admin", "dpo"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/audit/events");
        request.Headers.Add("DataClauses-Peer-Assertion", token);

        using var response = await nodes[Caf].Http.SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "peer-endpoint-forbidden");
    }

    [Fact]
    public async Task Holding_node_down_gives_a_502_naming_it_and_service_resumes_when_it_is_back()
    {
        using var atEpci = await nodes.ClientAsync(Epci, Epci, "analyst");
        await nodes[Caf].KillAsync();
        try
        {
            using var down = await atEpci.PostAsJsonAsync("api/v1/queries", Query);
            var problem = await down.ShouldBeProblemAsync(HttpStatusCode.BadGateway, "peer-unavailable");
            problem.GetProperty("detail").GetString()!.ShouldContain("'caf-44'");
        }
        finally
        {
            await nodes[Caf].DisposeAsync();
            await nodes.StartAsync(Caf, nodes.DatabaseOf(Caf));
        }

        using var back = await atEpci.PostAsJsonAsync("api/v1/queries", Query);
        back.StatusCode.ShouldBe(HttpStatusCode.OK, await back.Content.ReadAsStringAsync());
        var failed = (await nodes.DatabaseOf(Epci).ReadAuditAsync()).Where(r => r.Event.Action == "federation.forwarded" && r.Event.Outcome == "failure").ToList();
        failed.ShouldNotBeEmpty();
        failed[^1].Event.Details["status"].ShouldBe("502");
    }

    [Fact]
    public async Task Killing_the_caf_node_while_it_holds_a_forwarded_extract_request_gives_a_clean_502_and_no_partial_extract()
    {
        var correlationId = "kill-" + Guid.NewGuid().ToString("N");
        var extract = new
        {
            tables = new[] { new { dataset = CafDataset, dimensions = new[] { "qpv", "type_menage" }, measures = new[] { "foyers" } } },
            purpose = "observation",
            justification = "Diagnostic annuel des quartiers pour le comité de pilotage.",
            retention = "P3M",
        };
        using var analyst = await nodes.ClientAsync(Epci, Epci, "analyst");
        // The CAF node dies (SIGKILL) the moment the forwarded request has reached it, before any answer.
        nodes.CafRelay.OnRequest("POST /api/v1/extracts", () => nodes[Caf].KillAsync());
        try
        {
            using var killed = await PostAsync(analyst, "api/v1/extracts", extract, correlationId);
            var problem = await killed.ShouldBeProblemAsync(HttpStatusCode.BadGateway, "peer-unavailable");
            problem.GetProperty("detail").GetString()!.ShouldContain("'caf-44'");
        }
        finally
        {
            await nodes[Caf].DisposeAsync();
            await nodes.StartAsync(Caf, nodes.DatabaseOf(Caf));
        }

        // Nothing at the EPCI node; at the CAF node, the request either never committed or committed whole: the extract
        // with its extract.requested event, never one without the other.
        Convert.ToInt64(await nodes.DatabaseOf(Epci).ScalarAsync("SELECT COUNT(*) FROM extracts"), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(0);
        var stored = Convert.ToInt64(await nodes.DatabaseOf(Caf).ScalarAsync($"SELECT COUNT(*) FROM extracts WHERE correlation_id = '{correlationId}'"), System.Globalization.CultureInfo.InvariantCulture);
        var requested = (await nodes.DatabaseOf(Caf).ReadAuditAsync()).Count(r => r.Event.CorrelationId == correlationId && r.Event.Action == "extract.requested");
        stored.ShouldBeLessThanOrEqualTo(1);
        requested.ShouldBe((int)stored);
        Convert.ToInt64(await nodes.DatabaseOf(Caf).ScalarAsync($"SELECT COUNT(*) FROM extract_files WHERE extract_id IN (SELECT id FROM extracts WHERE correlation_id = '{correlationId}')"), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(0, "a steward approves the CAF's extracts first: no file yet");
        var failed = (await nodes.DatabaseOf(Epci).ReadAuditAsync()).Select(r => r.Event).Single(e => e.CorrelationId == correlationId);
        (failed.Action, failed.Outcome, failed.Details["status"]).ShouldBe(("federation.forwarded", "failure", "502"));

        // Service resumes: the same request through the EPCI node is taken by the restarted CAF node.
        using var again = await PostAsync(analyst, "api/v1/extracts", extract, "resumed-" + correlationId);
        var created = await again.Content.ReadAsStringAsync();
        again.StatusCode.ShouldBe(HttpStatusCode.Created, created);
        JsonDocument.Parse(created).RootElement.GetProperty("status").GetString().ShouldBe("pending-approval");
    }

    [Fact]
    public async Task Holding_node_that_takes_the_request_and_never_answers_gives_a_504_naming_it_and_nothing_is_stored()
    {
        var correlationId = "silent-" + Guid.NewGuid().ToString("N");
        using var analyst = await nodes.ClientAsync(Epci, Epci, "analyst");
        nodes.CafRelay.SwallowRequest("POST /api/v1/queries");

        using var response = await PostAsync(analyst, "api/v1/queries", Query, correlationId);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.GatewayTimeout, "peer-timeout");
        problem.GetProperty("detail").GetString()!.ShouldContain("'caf-44'");
        var failed = (await nodes.DatabaseOf(Epci).ReadAuditAsync()).Select(r => r.Event).Single(e => e.CorrelationId == correlationId);
        (failed.Action, failed.Outcome, failed.Details["status"]).ShouldBe(("federation.forwarded", "failure", "504"));
        (await nodes.DatabaseOf(Caf).ReadAuditAsync()).ShouldNotContain(r => r.Event.CorrelationId == correlationId, "the request never reached the CAF node");
    }

    [Fact]
    public async Task Contract_drift_between_two_real_nodes_is_refused_naming_both_hashes_and_recorded_in_both_audits()
    {
        // The France Travail node restarts on a copy of the contract changed by one comment line: another SHA-256.
        var drifted = Path.Combine(nodes.PoliciesPath, "drifted");
        Directory.CreateDirectory(drifted);
        var file = Path.Combine(drifted, Contract + ".yaml");
        await File.WriteAllTextAsync(file, await File.ReadAllTextAsync(Path.Combine(nodes.PoliciesPath, Contract + ".yaml")) + "# amended locally\n");
        var theirs = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(file)));
        var correlationId = "drift-" + Guid.NewGuid().ToString("N");
        await nodes[FranceTravail].DisposeAsync();
        await nodes.StartAsync(FranceTravail, nodes.DatabaseOf(FranceTravail), drifted);
        try
        {
            using var analyst = await nodes.ClientAsync(Epci, Epci, "analyst");
            using var refused = await PostAsync(analyst, "api/v1/queries", new { dataset = "ft-demandeurs-emploi", purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "demandeurs" } }, correlationId);

            var detail = (await refused.ShouldBeProblemAsync(HttpStatusCode.Conflict, "contract-drift")).GetProperty("detail").GetString()!;
            detail.ShouldContain(nodes.ContractHash);
            detail.ShouldContain(theirs);
            var atFranceTravail = (await nodes.DatabaseOf(FranceTravail).ReadAuditAsync()).Select(r => r.Event).Single(e => e.CorrelationId == correlationId);
            (atFranceTravail.Action, atFranceTravail.Details["reason"], atFranceTravail.Details["theirHash"], atFranceTravail.Details["ourHash"])
                .ShouldBe(("federation.peer-refused", "contract-drift", nodes.ContractHash, theirs));
            await Poll.UntilAsync(async () => (await nodes.DatabaseOf(Epci).ReadAuditAsync()).Any(r => r.Event.CorrelationId == correlationId), "the EPCI node's federation.forwarded event", 30);
            var atEpci = (await nodes.DatabaseOf(Epci).ReadAuditAsync()).Select(r => r.Event).Single(e => e.CorrelationId == correlationId);
            (atEpci.Action, atEpci.Outcome, atEpci.Details["status"], atEpci.Details["reason"]).ShouldBe(("federation.forwarded", "failure", "409", "contract-drift"));
            (atEpci.Details["contractSha256"], atEpci.Details["peerContractSha256"]).ShouldBe((nodes.ContractHash, theirs));
        }
        finally
        {
            await nodes[FranceTravail].DisposeAsync();
            await nodes.StartAsync(FranceTravail, nodes.DatabaseOf(FranceTravail));
        }
    }

    [Fact]
    public async Task An_assertion_accepted_by_one_replica_of_a_node_is_refused_as_a_replay_by_another()
    {
        // Two replicas of the EPCI node on its PostgreSQL database: the replay memory is the database, not a process.
        await using var replica = await nodes.StartReplicaAsync(Epci);
        var now = DateTime.UtcNow;
        var token = Assertion(nodes.PrefectureKey, "etat-prefecture", Epci, "etat-prefecture", Contract, nodes.ContractHash, now, now.AddSeconds(30), "dataclauses-peer+jwt");
        var query = new { dataset = "bailleur-logements", purpose = "observation", dimensions = new[] { "qpv" }, measures = new[] { "logements" } };

        using (var first = await PostAsync(replica.Http, "api/v1/queries", query, "replica-" + Guid.NewGuid().ToString("N"), token))
        {
            first.StatusCode.ShouldNotBe(HttpStatusCode.Unauthorized, await first.Content.ReadAsStringAsync());
        }

        var correlationId = "replay-" + Guid.NewGuid().ToString("N");
        using var replay = await PostAsync(nodes[Epci].Http, "api/v1/queries", query, correlationId, token);
        await replay.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "peer-assertion-replayed");
        var refused = (await nodes.DatabaseOf(Epci).ReadAuditAsync()).Select(r => r.Event).Single(e => e.CorrelationId == correlationId);
        (refused.Action, refused.Details["reason"]).ShouldBe(("federation.peer-refused", "peer-assertion-replayed"));
    }

    [Fact]
    public async Task Indicator_across_the_caf_and_france_travail_nodes_equals_the_single_node_answer_on_the_same_data()
    {
        var indicator = new
        {
            numerator = new { dataset = "ft-demandeurs-emploi", measure = "demandeurs", purpose = "observation" },
            denominator = new { dataset = CafDataset, measure = "foyers", purpose = "observation" },
            geography = "qpv",
            per = 100,
        };
        var correlationId = "ind-" + Guid.NewGuid().ToString("N");
        using var atEpci = await nodes.ClientAsync(Epci, Epci, "analyst");
        using var federated = await PostAsync(atEpci, "api/v1/indicators", indicator, correlationId);
        var federatedBody = await federated.Content.ReadAsStringAsync();
        federated.StatusCode.ShouldBe(HttpStatusCode.OK, federatedBody);

        // The same indicator on one node holding both datasets (federation off), seeded with the same synthetic data.
        await using var single = await TestDatabase.CreateAsync(StorageProvider.Sqlite);
        await using var alone = await GatewayProcess.StartAsync(single, new Dictionary<string, string>
        {
            ["DataClauses__PoliciesPath"] = nodes.PoliciesPath,
            ["DataClauses__SeedDemoDatasets"] = "true",
        });
        var token = await FederatedNodes.TokenAsync(alone.Http, Epci, "analyst");
        using var aloneRequest = new HttpRequestMessage(HttpMethod.Post, "api/v1/indicators") { Content = JsonContent.Create(indicator) };
        aloneRequest.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var reference = await alone.Http.SendAsync(aloneRequest);
        var referenceBody = await reference.Content.ReadAsStringAsync();
        reference.StatusCode.ShouldBe(HttpStatusCode.OK, referenceBody);

        // A node outside any federation trusts no assertion, even one signed with a key a contract lists.
        var now = DateTime.UtcNow;
        using (var refused = await PostAsync(alone.Http, "api/v1/queries", Query, "alone-" + Guid.NewGuid().ToString("N"),
            Assertion(nodes.PrefectureKey, "etat-prefecture", Epci, "etat-prefecture", Contract, nodes.ContractHash, now, now.AddSeconds(30), "dataclauses-peer+jwt")))
        {
            (await refused.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "peer-untrusted")).GetProperty("detail").GetString()!.ShouldContain("does not take part in a federation");
        }

        using var a = JsonDocument.Parse(federatedBody);
        using var b = JsonDocument.Parse(referenceBody);
        var rows = a.RootElement.GetProperty("rows");
        rows.GetArrayLength().ShouldBeGreaterThan(1);
        rows.GetRawText().ShouldBe(b.RootElement.GetProperty("rows").GetRawText());
        rows.EnumerateArray().ShouldContain(r => r.GetProperty("status").GetString() == "secret", "a cell secret on either side stays secret");
        foreach (var side in new[] { "numerator", "denominator" })
        {
            a.RootElement.GetProperty(side).GetProperty("version").GetString().ShouldBe(b.RootElement.GetProperty(side).GetProperty("version").GetString());
        }

        // Each holding node answered its side for the EPCI node under the indicator's correlation id.
        foreach (var (node, dataset) in new[] { (Caf, CafDataset), (FranceTravail, "ft-demandeurs-emploi") })
        {
            var answered = (await nodes.DatabaseOf(node).ReadAuditAsync()).Select(r => r.Event).Where(e => e.CorrelationId == correlationId && e.Action == "query.answered").ShouldHaveSingleItem();
            answered.Dataset.ShouldBe(dataset);
            answered.Details["node"].ShouldBe(Epci);
        }

        var epciEvent = (await nodes.DatabaseOf(Epci).ReadAuditAsync()).Select(r => r.Event).Single(e => e.CorrelationId == correlationId);
        epciEvent.Action.ShouldBe("indicator.answered");
        epciEvent.Details["numeratorNode"].ShouldBe(FranceTravail);
        epciEvent.Details["denominatorNode"].ShouldBe(Caf);
    }

    [Fact]
    public async Task Extract_of_france_travail_data_asked_at_the_epci_node_is_produced_and_kept_at_the_france_travail_node_and_downloaded_through_the_epci_node()
    {
        var body = new
        {
            tables = new[] { new { dataset = "ft-demandeurs-emploi", dimensions = new[] { "qpv", "categorie" }, measures = new[] { "demandeurs" } } },
            purpose = "observation",
            justification = "Diagnostic annuel des quartiers pour le comité de pilotage.",
            retention = "P3M",
        };
        using var analyst = await nodes.ClientAsync(Epci, Epci, "analyst");
        using var requested = await analyst.PostAsJsonAsync("api/v1/extracts", body);
        var created = await requested.Content.ReadAsStringAsync();
        requested.StatusCode.ShouldBe(HttpStatusCode.Created, created);
        var id = JsonDocument.Parse(created).RootElement.GetProperty("id").GetString()!;

        // Kept where its rows are: nothing at the EPCI node, the extract at the France Travail node for the EPCI's analyst.
        Convert.ToInt64(await nodes.DatabaseOf(Epci).ScalarAsync("SELECT COUNT(*) FROM extracts"), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(0);
        (await nodes.DatabaseOf(FranceTravail).ScalarAsync($"SELECT requester_client_id FROM extracts WHERE id = '{id}'"))!.ToString().ShouldBe("node:" + Epci);
        (await nodes.DatabaseOf(FranceTravail).ScalarAsync($"SELECT requester_organisation FROM extracts WHERE id = '{id}'"))!.ToString().ShouldBe(Epci);

        // Read and downloaded through the EPCI node, as if it were there.
        await Poll.UntilAsync(async () => (await ExtractStatusAsync(analyst, id)) == "ready", "the France Travail node to produce the extract");
        using (var file = await analyst.GetAsync($"api/v1/extracts/{id}/file?format=csv"))
        {
            var csv = await file.Content.ReadAsStringAsync();
            file.StatusCode.ShouldBe(HttpStatusCode.OK, csv);
            file.Headers.GetValues("DataClauses-Extract").Single().ShouldBe(id);
            csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBeGreaterThan(1);
        }

        using (var early = await analyst.PostAsync($"api/v1/extracts/{id}/attest-deletion", null))
        {
            await early.ShouldBeProblemAsync(HttpStatusCode.Conflict, "extract-not-expired");
        }

        // Another person of another organisation never reaches it, here or there.
        using (var stranger = await nodes.ClientAsync(Epci, "etat-prefecture", "analyst"))
        using (var hidden = await stranger.GetAsync($"api/v1/extracts/{id}"))
        {
            await hidden.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        }

        var downloaded = (await nodes.DatabaseOf(FranceTravail).ReadAuditAsync()).Select(r => r.Event).Where(e => e.Action == "extract.downloaded").ShouldHaveSingleItem();
        downloaded.Actor.Organisation.ShouldBe(Epci);
    }

    [Fact]
    public async Task Extract_mixing_datasets_of_two_nodes_is_refused_and_nothing_is_created()
    {
        using var analyst = await nodes.ClientAsync(Epci, Epci, "analyst");
        using var response = await analyst.PostAsJsonAsync("api/v1/extracts", new
        {
            tables = new object[]
            {
                new { dataset = "ft-demandeurs-emploi", dimensions = new[] { "qpv" }, measures = new[] { "demandeurs" } },
                new { dataset = CafDataset, dimensions = new[] { "qpv" }, measures = new[] { "foyers" } },
            },
            purpose = "observation",
            justification = "Diagnostic annuel des quartiers pour le comité de pilotage.",
            retention = "P3M",
        });

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "extract-across-nodes")).GetProperty("detail").GetString()!.ShouldContain("ft-pdl");
        Convert.ToInt64(await nodes.DatabaseOf(Epci).ScalarAsync("SELECT COUNT(*) FROM extracts"), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(0);
    }

    private static async Task<string?> ExtractStatusAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"api/v1/extracts/{id}");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("status").GetString();
    }

    [Fact]
    public async Task Epci_catalogue_lists_what_its_peers_hold_with_their_versions_and_the_holding_node()
    {
        using var atEpci = await nodes.ClientAsync(Epci, Epci, "analyst");
        await Poll.UntilAsync(async () => HeldBy(await CatalogAsync(atEpci), CafDataset) is { } held && !held.GetProperty("stale").GetBoolean(), "the EPCI node to fetch the CAF node's catalogue");
        var merged = await CatalogAsync(atEpci);
        using var atCaf = await nodes.ClientAsync(Caf, Epci, "analyst");
        var local = await CatalogAsync(atCaf);

        var held = HeldBy(merged, CafDataset)!.Value;
        held.GetProperty("node").GetString().ShouldBe(Caf);
        DateTimeOffset.Parse(held.GetProperty("fetchedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(-1));
        Versions(merged, CafDataset).ShouldBe(Versions(local, CafDataset));
        Versions(merged, CafDataset).ShouldNotBeEmpty();
        Dataset(merged, CafDataset).GetProperty("status").GetString().ShouldBe("published");
        HeldBy(merged, "ft-demandeurs-emploi")!.Value.GetProperty("node").GetString().ShouldBe(FranceTravail);
        HeldBy(merged, "bailleur-logements").ShouldBeNull("a provider without a node publishes where it uploads: here");
        (await nodes.DatabaseOf(Caf).ReadAuditAsync()).ShouldContain(r => r.Event.Action == "federation.catalog-served" && r.Event.Details["node"] == Epci);

        // The portal's catalogue and dataset page say which node holds it.
        (await PageAsync(Epci, "catalogue")).ShouldContain("détenu par le nœud caf-44");
        (await PageAsync(Epci, "catalogue/" + CafDataset)).ShouldContain("Ce jeu de données est détenu par le nœud caf-44.");
    }

    [Fact]
    public async Task A_peer_that_is_down_leaves_its_entries_in_the_catalogue_marked_stale_with_the_time_of_the_last_fetch()
    {
        using var atEpci = await nodes.ClientAsync(Epci, Epci, "analyst");
        const string FtDataset = "ft-demandeurs-emploi";
        await Poll.UntilAsync(async () => HeldBy(await CatalogAsync(atEpci), FtDataset) is { } held && !held.GetProperty("stale").GetBoolean(), "the EPCI node to fetch the France Travail node's catalogue");
        var before = Versions(await CatalogAsync(atEpci), FtDataset);
        await nodes[FranceTravail].KillAsync();
        try
        {
            await Poll.UntilAsync(async () => HeldBy(await CatalogAsync(atEpci), FtDataset)!.Value.GetProperty("stale").GetBoolean(), "the EPCI node to notice that the France Travail node is down");
            var stale = await CatalogAsync(atEpci);
            Versions(stale, FtDataset).ShouldBe(before, "the entries of the last successful fetch stay");
            HeldBy(stale, FtDataset)!.Value.GetProperty("fetchedAt").GetString().ShouldNotBeNull();
            (await PageAsync(Epci, "catalogue")).ShouldContain("détenu par le nœud ft-pdl, injoignable : état du ");
        }
        finally
        {
            await nodes[FranceTravail].DisposeAsync();
            await nodes.StartAsync(FranceTravail, nodes.DatabaseOf(FranceTravail));
        }

        await Poll.UntilAsync(async () => !HeldBy(await CatalogAsync(atEpci), FtDataset)!.Value.GetProperty("stale").GetBoolean(), "the entries to be fresh again");
    }

    /// <summary>A portal page of the node as the EPCI's analyst sees it, signed in through /connexion.</summary>
    private async Task<string> PageAsync(string node, string path)
    {
        using var client = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = nodes.UrlOf(node) };
        using (var signIn = await Identity.PeopleSignInTests.PostSignInAsync(client, "connexion", Demo.DemoAccounts.UserName(Epci, "analyst"), Demo.DemoAccounts.Password(Epci, "analyst")))
        {
            signIn.StatusCode.ShouldBe(HttpStatusCode.Found);
        }

        using var response = await client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        return WebUtility.HtmlDecode(html);
    }

    private static async Task<JsonElement> CatalogAsync(HttpClient client)
    {
        using var response = await client.GetAsync("api/v1/catalog");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static JsonElement Dataset(JsonElement catalog, string id) =>
        catalog.GetProperty("datasets").EnumerateArray().Single(d => d.GetProperty("id").GetString() == id);

    private static JsonElement? HeldBy(JsonElement catalog, string id) =>
        Dataset(catalog, id).GetProperty("heldBy") is { ValueKind: JsonValueKind.Object } held ? held : null;

    private static List<string> Versions(JsonElement catalog, string id) =>
        [.. Dataset(catalog, id).GetProperty("versions").EnumerateArray().Select(v => $"{v.GetProperty("version").GetString()} {v.GetProperty("rowCount").GetInt64()} {v.GetProperty("contentSha256").GetString()}")];

    private Task<HttpResponseMessage> SendAsAPeerAsync(string assertion, string correlationId) =>
        PostAsync(nodes[Caf].Http, "api/v1/queries", Query, correlationId, assertion);

    /// <summary>POSTs <paramref name="body"/> as JSON with this correlation id (and a node assertion, when given).</summary>
    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object body, string correlationId, string? assertion = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Correlation-Id", correlationId);
        if (assertion is not null)
        {
            request.Headers.Add("DataClauses-Peer-Assertion", assertion);
        }

        return await client.SendAsync(request);
    }

    private static string Assertion(
        System.Security.Cryptography.ECDsa key, string issuer, string audience, string organisation, string contract, string hash,
        DateTime issued, DateTime expires, string type, string[]? roles = null) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = issued,
            NotBefore = issued,
            Expires = expires,
            TokenType = type,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = "analyst@" + organisation,
                ["org"] = organisation,
                ["roles"] = roles ?? ["analyst"],
                ["contract"] = contract,
                ["contract_sha256"] = hash,
                ["cid"] = "forged",
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = "test" }, SecurityAlgorithms.EcdsaSha256),
        });
}
