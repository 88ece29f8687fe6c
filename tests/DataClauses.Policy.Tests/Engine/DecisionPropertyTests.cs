using DataClauses.Policy.Engine;
using DataClauses.Policy.Json;
using DataClauses.Policy.Model;
using FsCheck;
using FsCheck.Fluent;

namespace DataClauses.Policy.Tests.Engine;

/// <summary>
/// Properties that hold for any request over the demo contract's vocabulary (and a few words outside it), at any
/// instant from before the contract starts to after it ends.
/// </summary>
public sealed class DecisionPropertyTests
{
    private static readonly string[] Organisations = ["epci-demo", "etat-prefecture", "caf-44", "ft-pdl", "bailleur-atlantique", "courtier-donnees"];
    private static readonly string[] Roles = ["analyst", "steward", "publisher", "dpo", "admin"];

    // Each dataset with the dimensions and measures it declares; "cpam-c2s" is governed by no contract.
    private static readonly (string Dataset, string[] Dimensions, string[] Measures)[] Datasets =
    [
        ("caf-foyers-allocataires", ["qpv", "commune", "type_menage", "prestation"], ["foyers", "montant_mensuel"]),
        ("ft-demandeurs-emploi", ["qpv", "iris", "commune", "categorie", "tranche_age", "anciennete"], ["demandeurs"]),
        ("bailleur-logements", ["qpv", "commune", "typologie", "tranche_revenu", "statut"], ["logements", "loyer_mensuel"]),
        ("cpam-c2s", ["qpv", "iris"], ["beneficiaires"]),
    ];

    private static readonly string[] ForeignDimensions = ["age", "sexe", "type_menage", "statut", "iris", "epci"];
    private static readonly string[] ForeignMeasures = ["patrimoine", "foyers", "demandeurs"];
    private static readonly string[] FilterValues = ["QN04401M", "QN04412I", "QN07501M", "44901", "44903", "44109", "449010101", "rsa", "couple-sans-enfant", "A", "moins-25", "T3", "vacant", "autre", "zzz"];
    private static readonly string?[] Purposes = ["observation", "evaluation", "diagnostic", "pilotage", "statistique"];
    private static readonly string?[] OtherPurposes = [null, "profiling", "individual-control", "scoring", "marketing"];
    private static readonly string?[] Retentions = [null, "P1M", "P90D", "P6M", "P9M", "P1Y", "P3Y", "P9999Y"];
    private static readonly string?[] Nodes = ["epci-demo", "caf-44", "ft-pdl"];
    private static readonly string?[] ContractIds = ["cdv-demo-2024-2030", "cdv-autre"];
    private static readonly PolicyAction[] Actions = [PolicyAction.Query, PolicyAction.Query, PolicyAction.Extract, PolicyAction.Extract, PolicyAction.Publish, PolicyAction.Approve, PolicyAction.AuditRead];

    // Mostly within the contract (2024-2030, across amendment 1), sometimes from mid-2023 to mid-2031.
    private static readonly DateTimeOffset Earliest = new(2023, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ContractStart = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly HashSet<string> ContractLevelRules = new(StringComparer.Ordinal)
    {
        Rules.NoClause, Rules.ContractNotInForce, Rules.NoClauseInForce, Rules.ProhibitedPurpose, Rules.UnknownNode,
    };

    private static Gen<T> Mostly<T>(Gen<T> usual, Gen<T> unusual, int weight = 5) => Gen.Frequency((weight, usual), (1, unusual));

    private static Gen<T?> Sometimes<T>(Gen<T?> value, int weight = 4) => Gen.Frequency((weight, Gen.Constant<T?>(default)), (1, value));

    private static Gen<List<string>> NamesGen(string[] own, string[] foreign, int max) =>
        from names in Gen.SubListOf(own)
        from extra in Sometimes(Gen.Elements<string?>(foreign), 8)
        select names.Take(max).Concat(extra is null ? [] : [extra]).Distinct(StringComparer.Ordinal).ToList();

    private static Gen<Filter> FilterGen(string[] dimensions) =>
        from dimension in Mostly(Gen.Elements(dimensions), Gen.Elements(ForeignDimensions))
        from values in Gen.NonEmptyListOf(Gen.Elements(FilterValues))
        select new Filter(dimension, values.Distinct(StringComparer.Ordinal).Take(3).ToList());

    private static Gen<(DecisionRequest Request, DateTimeOffset At)> CaseGen =>
        from dataset in Gen.Elements(Datasets)
        from organisation in Mostly(Gen.Elements("epci-demo", "etat-prefecture"), Gen.Elements(Organisations), 2)
        from roles in Mostly(Gen.Constant<IList<string>>(["analyst"]), Gen.SubListOf(Roles).Select(r => (IList<string>)r))
        from action in Gen.Elements(Actions)
        from dimensions in NamesGen(dataset.Dimensions, ForeignDimensions, 3)
        from measures in NamesGen(dataset.Measures, ForeignMeasures, 2)
        from filterCount in Gen.Frequency((6, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Constant(2)))
        from filters in Gen.ListOf(FilterGen(dataset.Dimensions), filterCount)
        from purpose in Mostly(Gen.Elements(Purposes), Gen.Elements(OtherPurposes))
        from retention in Gen.Elements(Retentions)
        from node in Sometimes(Gen.Elements(Nodes), 6)
        from contract in Sometimes(Gen.Elements(ContractIds), 6)
        from zoning in Sometimes(Gen.Elements<Zoning?>(Zoning.Qpv2024, Zoning.Qpv2015), 6)
        from at in Mostly(
            Gen.Choose(0, 7 * 365 * 24).Select(h => ContractStart.AddHours(h)),
            Gen.Choose(0, 8 * 366 * 24).Select(h => Earliest.AddHours(h)))
        select (new DecisionRequest
        {
            Requester = new Requester("someone", organisation, [.. roles]),
            Action = action,
            Dataset = dataset.Dataset,
            Dimensions = dimensions,
            Measures = measures,
            Filters = [.. filters],
            Purpose = purpose,
            Retention = retention is null ? null : Demo.Duration(retention),
            Node = node,
            Contract = contract,
            Zoning = zoning,
        }, at);

    [Fact]
    public void Every_decision_on_a_random_request_keeps_the_engine_promises()
    {
        Prop.ForAll(CaseGen.ToArbitrary(), testCase => Check(testCase.Request, testCase.At))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(5000).WithQuietOnSuccess(true));
    }

    [Fact]
    public void The_fast_path_agrees_with_the_full_evaluation_on_every_clause()
    {
        // The first pass decides with DecisionEngine.Passes; denials are explained by Evaluate. They must agree.
        Prop.ForAll(CaseGen.ToArbitrary(), testCase =>
        {
            var day = DateOnly.FromDateTime(testCase.At.UtcDateTime);
            foreach (var entry in Demo.Contracts.ByDataset.GetValueOrDefault(testCase.Request.Dataset) ?? [])
            {
                var kindBit = entry.Contract.Kinds.TryGetValue(testCase.Request.Requester.Organisation, out var kind) ? 1 << (int)kind : 0;
                foreach (var clause in entry.PeriodAt(day).Clauses)
                {
                    var reasons = new List<Reason>();
                    var full = DecisionEngine.Evaluate(clause, testCase.Request, reasons);
                    DecisionEngine.Passes(clause, testCase.Request, kindBit).ShouldBe(full, $"clause {clause.Clause.Id}: {string.Join(", ", reasons.Select(r => r.Rule))}");
                }
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(5000).WithQuietOnSuccess(true));
    }

    [Fact]
    public void The_random_requests_reach_every_effect_and_most_rules()
    {
        // Guards the generator: properties over requests that are all denied for the same reason prove nothing.
        var samples = CaseGen.Sample(3000);
        var decisions = samples.Select(s => DecisionEngine.Decide(Demo.Contracts, s.Request, s.At)).ToList();

        decisions.Count(d => d.Effect == Effect.Permit).ShouldBeGreaterThan(40);
        decisions.Count(d => d.Effect == Effect.ApprovalRequired).ShouldBeGreaterThan(20);
        var rules = decisions.SelectMany(d => d.Reasons).Select(r => r.Rule).ToHashSet(StringComparer.Ordinal);
        rules.ShouldContain(Rules.ProhibitedPurpose);
        rules.ShouldContain(Rules.ObligationUnsatisfiable);
        rules.Count.ShouldBeGreaterThanOrEqualTo(18);
    }

    private static void Check(DecisionRequest request, DateTimeOffset at)
    {
        var decision = DecisionEngine.Decide(Demo.Contracts, request, at);

        // Deterministic: the same question gets the same answer.
        DecisionJson.ToJson(DecisionEngine.Decide(Demo.Contracts, request, at)).ShouldBe(DecisionJson.ToJson(decision));

        // Every reason names what it is about, in both languages.
        decision.Reasons.ShouldNotBeEmpty();
        foreach (var reason in decision.Reasons)
        {
            foreach (var message in new[] { reason.MessageFr, reason.MessageEn })
            {
                if (reason.ClauseId is { } clauseId && !ContractLevelRules.Contains(reason.Rule))
                {
                    message.ShouldContain(clauseId);
                }

                if (reason.Subject is { } subject)
                {
                    message.ShouldContain(subject);
                }
            }
        }

        if (decision.Effect == Effect.Deny)
        {
            decision.Obligations.ShouldBeNull();
            decision.Clause.ShouldBeNull();
            decision.RetentionDeadline.ShouldBeNull();
            return;
        }

        var contract = decision.Contract.ShouldNotBeNull();
        var clause = decision.Clause.ShouldNotBeNull();
        var obligations = decision.Obligations.ShouldNotBeNull();
        contract.IsInForce(DateOnly.FromDateTime(at.UtcDateTime)).ShouldBeTrue();
        clause.Dataset.ShouldBe(request.Dataset);
        contract.ClausesAt(DateOnly.FromDateTime(at.UtcDateTime)).ShouldContain(clause);
        decision.DeterminingClauses.ShouldBe([clause.Id]);
        if (request.Purpose is { } purpose)
        {
            contract.ProhibitedPurposes.ShouldNotContain(p => p.Id == purpose);
        }

        if (request.Action is PolicyAction.Publish or PolicyAction.Approve or PolicyAction.AuditRead)
        {
            request.Requester.Organisation.ShouldBe(clause.Provider);
            decision.Effect.ShouldBe(Effect.Permit);
            return;
        }

        // A query or an extract: a recipient, a granted purpose, and nothing outside the protected cube.
        var kind = contract.FindSignatory(request.Requester.Organisation)?.Kind;
        var recipient = clause.Recipients.Organisations.Contains(request.Requester.Organisation)
            || (kind is { } k && clause.Recipients.Kinds.Contains(k))
            || clause.Publication?.Tier == Tier.Open;
        recipient.ShouldBeTrue($"{request.Requester.Organisation} is not a recipient of {clause.Id}");
        clause.Purposes.ShouldContain(request.Purpose);
        request.Dimensions.ShouldAllBe(d => obligations.AllowedDimensions.Contains(d));
        request.Measures.ShouldAllBe(m => obligations.AllowedMeasures.Contains(m));
        request.Filters.ShouldAllBe(f => obligations.AllowedDimensions.Contains(f.Dimension));
        if (request.Zoning is { } zoning)
        {
            zoning.ShouldBe(clause.Zoning);
        }

        if (request.Action == PolicyAction.Query)
        {
            decision.Effect.ShouldBe(Effect.Permit);
            decision.RetentionDeadline.ShouldBeNull();
            return;
        }

        // An extract: a deadline within the request, the clause and the contract.
        decision.Effect.ShouldBe(clause.Approval == ApprovalMode.Automatic ? Effect.Permit : Effect.ApprovalRequired);
        var deadline = decision.RetentionDeadline.ShouldNotBeNull();
        var max = clause.Retention.ShouldNotBeNull().Max;
        deadline.ShouldBeGreaterThan(at);
        deadline.ShouldBeLessThanOrEqualTo(max.AddTo(at));
        deadline.ShouldBeLessThanOrEqualTo(new DateTimeOffset(contract.End.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
        if (request.Retention is { } asked && asked.Years < 100)
        {
            deadline.ShouldBeLessThanOrEqualTo(asked.AddTo(at));
        }
    }
}
