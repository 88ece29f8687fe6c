using DataClauses.Policy.Model;

namespace DataClauses.Policy.Engine;

/// <summary>
/// The policy engine: a pure function of (contracts, request, time). It never reads data and never does I/O.
/// Default deny; a purpose prohibited by any contract in force on the dataset denies whatever any clause says (even
/// when the request names another contract); only the clauses in force on the request's UTC day count (amendments);
/// when several clauses apply, permit beats approval-required beats deny, and among equals the clause listed first
/// (contracts in the set's order, then clauses in the contract's order) determines the obligations. An extract under
/// a clause with no retention is denied (obligation-unsatisfiable). A denial lists every reason of every clause.
/// </summary>
public static class DecisionEngine
{
    private const string RolePublisher = "publisher";
    private const string RoleSteward = "steward";
    private const string RoleDpo = "dpo";

    /// <summary>Decides on <paramref name="request"/> at instant <paramref name="now"/>.</summary>
    /// <remarks>
    /// The decision depends on the instant only, never on the offset it is written with: days (contract period,
    /// amendments) are UTC days and the retention deadline is a UTC instant.
    /// </remarks>
    public static Decision Decide(ContractSet contracts, DecisionRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(contracts);
        ArgumentNullException.ThrowIfNull(request);

        if (request.Dataset is null || !contracts.Index.TryGetValue(request.Dataset, out var index))
        {
            return Deny([new Reason(Rules.NoClause, request.Contract, null, request.Dataset)]);
        }

        now = now.ToUniversalTime();
        var day = DateOnly.FromDateTime(now.UtcDateTime);

        // Any prohibition wins, whatever other clauses or contracts say: every contract in force that governs the
        // dataset is consulted, even when the request names another one, so that naming a contract cannot evade it.
        if (request.Purpose is { } declared && index.Prohibiting.TryGetValue(declared, out var prohibiting) && IsProhibited(prohibiting, day))
        {
            var prohibitions = new List<Reason>();
            foreach (var contract in prohibiting)
            {
                if (contract.Contract.IsInForce(day))
                {
                    prohibitions.Add(new Reason(Rules.ProhibitedPurpose, contract.Contract.Id, null, declared));
                }
            }

            return Deny([.. prohibitions]);
        }

        // First pass: find the best clause without recording anything (the common, fast path), looking only at the
        // contracts that could grant anything to the requester's organisation.
        CompiledClause? best = null;
        var bestEffect = Effect.Deny;
        var entries = index.All;
        foreach (var entry in index.RelevantTo(request.Requester.Organisation))
        {
            if (bestEffect == Effect.Permit)
            {
                break;
            }

            var contract = entry.Contract;
            if (!Applies(contract, request, day))
            {
                continue;
            }

            // The requester's kind in this contract, looked up once for all its clauses.
            var kindBit = contract.Kinds.TryGetValue(request.Requester.Organisation, out var kind) ? 1 << (int)kind : 0;
            foreach (var clause in entry.PeriodAt(day).CandidatesFor(request.Action, request.Requester.Organisation))
            {
                if (!Passes(clause, request, kindBit))
                {
                    continue;
                }

                var effect = EffectOf(clause, request.Action);
                if (best is null || (effect == Effect.Permit && bestEffect != Effect.Permit))
                {
                    best = clause;
                    bestEffect = effect;
                    if (effect == Effect.Permit)
                    {
                        break;
                    }
                }
            }
        }

        if (best is not null)
        {
            return Allow(best, bestEffect, request, now);
        }

        // Second pass, only when denying: collect every reason from every candidate clause.
        var reasons = new List<Reason>(16);
        foreach (var entry in entries)
        {
            var contract = entry.Contract;
            if (request.Contract is not null && !string.Equals(request.Contract, contract.Contract.Id, StringComparison.Ordinal))
            {
                continue;
            }

            if (!contract.Contract.IsInForce(day))
            {
                reasons.Add(new Reason(Rules.ContractNotInForce, contract.Contract.Id, null, day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
                continue;
            }

            if (request.Node is not null && !contract.Nodes.Contains(request.Node))
            {
                reasons.Add(new Reason(Rules.UnknownNode, contract.Contract.Id, null, request.Node));
                continue;
            }

            var clauses = entry.PeriodAt(day).Clauses;
            if (clauses.Length == 0)
            {
                reasons.Add(new Reason(Rules.NoClauseInForce, contract.Contract.Id, null, request.Dataset));
                continue;
            }

            foreach (var clause in clauses)
            {
                Evaluate(clause, request, reasons);
            }
        }

        if (reasons.Count == 0)
        {
            reasons.Add(new Reason(Rules.NoClause, request.Contract, null, request.Dataset));
        }

        return Deny([.. reasons]);
    }

    private static bool IsProhibited(CompiledContract[] prohibiting, DateOnly day)
    {
        foreach (var contract in prohibiting)
        {
            if (contract.Contract.IsInForce(day))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a contract may decide the request: the one named (if any), in force, and trusting the node.</summary>
    private static bool Applies(CompiledContract contract, DecisionRequest request, DateOnly day) =>
        (request.Contract is null || string.Equals(request.Contract, contract.Contract.Id, StringComparison.Ordinal))
        && contract.Contract.IsInForce(day)
        && (request.Node is null || contract.Nodes.Contains(request.Node));

    private static Decision Deny(Reason[] reasons) => new(Effect.Deny, reasons, null, null, null, null);

    private static Effect EffectOf(CompiledClause clause, PolicyAction action) =>
        action == PolicyAction.Extract && clause.Clause.Approval != ApprovalMode.Automatic ? Effect.ApprovalRequired : Effect.Permit;

    private static Decision Allow(CompiledClause clause, Effect effect, DecisionRequest request, DateTimeOffset now)
    {
        DateTimeOffset? deadline = null;
        if (request.Action == PolicyAction.Extract && clause.Clause.Retention is { } retention)
        {
            // The granted retention is the shortest of the request, the clause and the contract.
            var max = retention.Max.AddTo(now);
            var granted = request.Retention is { } asked ? asked.AddTo(now) : max;
            var end = granted < max ? granted : max;
            deadline = end < clause.Contract.EndInstant ? end : clause.Contract.EndInstant;
        }

        var reasons = effect == Effect.Permit ? clause.PermitReasons : clause.ApprovalReasons;
        return new Decision(effect, reasons, clause.Contract.Contract, clause.Clause, clause.Obligations, deadline);
    }

    /// <summary>
    /// The fast path: whether a clause permits the request, checking the cheapest facts first and recording nothing.
    /// It must agree with <see cref="Evaluate"/> (a test checks that it does on random requests); it can skip checks
    /// that the loader guarantees: a clause's purposes are in the contract's vocabulary, and its dimensions are never
    /// finer than its finest geography.
    /// </summary>
    internal static bool Passes(CompiledClause clause, DecisionRequest request, int kindBit)
    {
        var requester = request.Requester;
        switch (request.Action)
        {
            case PolicyAction.Publish:
                return string.Equals(requester.Organisation, clause.Clause.Provider, StringComparison.Ordinal) && requester.HasRole(RolePublisher);
            case PolicyAction.Approve:
                return string.Equals(requester.Organisation, clause.Clause.Provider, StringComparison.Ordinal) && requester.HasRole(RoleSteward);
            case PolicyAction.AuditRead:
                return string.Equals(requester.Organisation, clause.Clause.Provider, StringComparison.Ordinal) && requester.HasRole(RoleDpo);
            case PolicyAction.Query:
            case PolicyAction.Extract:
                break;
            default:
                return false;
        }

        if (!clause.IsOpen
            && ((!Contains(clause.Organisations, requester.Organisation) && (clause.KindMask & kindBit) == 0) || !HasAnyRole(requester, clause.Roles)))
        {
            return false;
        }

        if (request.Purpose is not { } purpose || !Contains(clause.Purposes, purpose))
        {
            return false;
        }

        if (request.Zoning is { } zoning && zoning != clause.Clause.Zoning)
        {
            return false;
        }

        var dimensions = request.Dimensions;
        for (var i = 0; i < dimensions.Count; i++)
        {
            if (!Contains(clause.Dimensions, dimensions[i]))
            {
                return false;
            }
        }

        var measures = request.Measures;
        for (var i = 0; i < measures.Count; i++)
        {
            if (!Contains(clause.Measures, measures[i]))
            {
                return false;
            }
        }

        var filters = request.Filters;
        var ok = true;
        for (var i = 0; i < filters.Count; i++)
        {
            if (!CheckFilter(clause, filters[i], null, ref ok, string.Empty, string.Empty))
            {
                return false;
            }
        }

        return request.Action != PolicyAction.Extract || clause.Clause.Retention is not null;
    }

    /// <summary>
    /// Checks every rule of one clause. With a null sink it stops at the first failure; with a sink it records
    /// every failure, so that a denial explains itself completely.
    /// </summary>
    internal static bool Evaluate(CompiledClause clause, DecisionRequest request, List<Reason>? sink)
    {
        var contractId = clause.Contract.Contract.Id;
        var clauseId = clause.Clause.Id;
        var requester = request.Requester;
        var ok = true;

        bool Fail(string rule, string? subject)
        {
            ok = false;
            sink?.Add(new Reason(rule, contractId, clauseId, subject));
            return sink is null;
        }

        switch (request.Action)
        {
            case PolicyAction.Publish:
                if (!string.Equals(requester.Organisation, clause.Clause.Provider, StringComparison.Ordinal) && Fail(Rules.ProviderOnly, requester.Organisation))
                {
                    return false;
                }

                if (!requester.HasRole(RolePublisher) && Fail(Rules.RoleNotPermitted, RolePublisher))
                {
                    return false;
                }

                return ok;

            case PolicyAction.Approve:
                if (!string.Equals(requester.Organisation, clause.Clause.Provider, StringComparison.Ordinal) && Fail(Rules.ProviderOnly, requester.Organisation))
                {
                    return false;
                }

                if (!requester.HasRole(RoleSteward) && Fail(Rules.RoleNotPermitted, RoleSteward))
                {
                    return false;
                }

                return ok;

            case PolicyAction.AuditRead:
                if (!string.Equals(requester.Organisation, clause.Clause.Provider, StringComparison.Ordinal) && Fail(Rules.ProviderOnly, requester.Organisation))
                {
                    return false;
                }

                if (!requester.HasRole(RoleDpo) && Fail(Rules.RoleNotPermitted, RoleDpo))
                {
                    return false;
                }

                return ok;
        }

        if (request.Action is not (PolicyAction.Query or PolicyAction.Extract))
        {
            // An action the engine does not know: no role can perform it (fail closed).
            Fail(Rules.RoleNotPermitted, ((int)request.Action).ToString(System.Globalization.CultureInfo.InvariantCulture));
            return false;
        }

        // Query and extract.
        if (!clause.Is(Tier.Open))
        {
            if (!IsRecipient(clause, requester.Organisation) && Fail(Rules.RecipientNotPermitted, requester.Organisation))
            {
                return false;
            }

            if (!HasAnyRole(requester, clause.Roles) && Fail(Rules.RoleNotPermitted, clause.RolesSubject))
            {
                return false;
            }
        }

        var purpose = request.Purpose;
        if (purpose is null)
        {
            if (Fail(Rules.PurposeMissing, null))
            {
                return false;
            }
        }
        else if (!clause.Contract.Purposes.Contains(purpose))
        {
            if (Fail(Rules.UnknownPurpose, purpose))
            {
                return false;
            }
        }
        else if (!Contains(clause.Purposes, purpose) && Fail(Rules.PurposeNotPermitted, purpose))
        {
            return false;
        }

        if (request.Zoning is { } zoning && zoning != clause.Clause.Zoning && Fail(Rules.ZoningMismatch, zoning.ToWire()))
        {
            return false;
        }

        var dimensions = request.Dimensions;
        for (var i = 0; i < dimensions.Count; i++)
        {
            var dimension = dimensions[i];
            if (clause.GeoLevels.TryGetValue(dimension, out var level) && level < clause.Clause.FinestGeography)
            {
                if (Fail(Rules.GeographyTooFine, dimension))
                {
                    return false;
                }
            }
            else if (!Contains(clause.Dimensions, dimension) && Fail(Rules.DimensionNotAllowed, dimension))
            {
                return false;
            }
        }

        var measures = request.Measures;
        for (var i = 0; i < measures.Count; i++)
        {
            if (!Contains(clause.Measures, measures[i]) && Fail(Rules.MeasureNotAllowed, measures[i]))
            {
                return false;
            }
        }

        var filters = request.Filters;
        for (var i = 0; i < filters.Count; i++)
        {
            if (!CheckFilter(clause, filters[i], sink, ref ok, contractId, clauseId))
            {
                return false;
            }
        }

        if (request.Action == PolicyAction.Extract && clause.Clause.Retention is null
            && Fail(Rules.ObligationUnsatisfiable, "retention"))
        {
            return false;
        }

        return ok;
    }

    private static bool CheckFilter(CompiledClause clause, Filter filter, List<Reason>? sink, ref bool ok, string contractId, string clauseId)
    {
        var dimension = filter.Dimension;
        string? rule = null;
        string? subject = dimension;
        if (clause.GeoLevels.TryGetValue(dimension, out var level))
        {
            if (level < clause.Clause.FinestGeography)
            {
                rule = Rules.GeographyTooFine;
            }
            else if (!Contains(clause.Dimensions, dimension))
            {
                rule = Rules.FilterNotAllowed;
            }
            else
            {
                for (var v = 0; v < filter.Values.Count; v++)
                {
                    if (!clause.Contract.InTerritory(level, clause.Clause.Zoning, filter.Values[v]))
                    {
                        rule = Rules.FilterOutsideTerritory;
                        subject = filter.Values[v];
                        break;
                    }
                }
            }
        }
        else if (!Contains(clause.Dimensions, dimension))
        {
            rule = Rules.FilterNotAllowed;
        }
        else if (clause.Values.TryGetValue(dimension, out var values))
        {
            for (var v = 0; v < filter.Values.Count; v++)
            {
                if (!values.Contains(filter.Values[v]))
                {
                    rule = Rules.FilterValueUnknown;
                    subject = filter.Values[v];
                    break;
                }
            }
        }

        if (rule is null)
        {
            return true;
        }

        ok = false;
        sink?.Add(new Reason(rule, contractId, clauseId, subject));
        return sink is not null;
    }

    private static bool IsRecipient(CompiledClause clause, string organisation)
    {
        if (Contains(clause.Organisations, organisation))
        {
            return true;
        }

        return clause.KindMask != 0
            && clause.Contract.Kinds.TryGetValue(organisation, out var kind)
            && (clause.KindMask & (1 << (int)kind)) != 0;
    }

    private static bool HasAnyRole(Requester requester, string[] roles)
    {
        for (var i = 0; i < roles.Length; i++)
        {
            if (requester.HasRole(roles[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Contains(string[] items, string value)
    {
        for (var i = 0; i < items.Length; i++)
        {
            if (string.Equals(items[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
