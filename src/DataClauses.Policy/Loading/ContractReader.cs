using DataClauses.Policy.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DataClauses.Policy.Loading;

/// <summary>
/// Turns one contract file into a <see cref="Contract"/>, checking structure, values, references and
/// contradictions. Every problem is reported with file:line:column; nothing unknown is ignored.
/// </summary>
internal sealed class ContractReader
{
    private static readonly string[] TopKeys =
        ["id", "title", "territory", "period", "signatories", "purposes", "prohibitedPurposes", "datasets", "clauses", "amendments", "governance"];

    private static readonly string[] ClauseKeys =
        ["id", "title", "provider", "dataset", "recipients", "purposes", "dimensions", "measures", "geography", "disclosure", "retention", "approval", "publication", "legalBasis"];

    private readonly ErrorSink _errors;

    // Reference checks run once everything is read, so that order in the file does not matter.
    private readonly List<Action<Contract>> _checks = [];

    // Clauses that have an id but failed to read: amendments naming them stay silent (the cause is reported).
    private readonly HashSet<string> _invalidClauses = new(StringComparer.Ordinal);

    // The signed clauses' YAML, by id, for amendments to merge into.
    private readonly Dictionary<string, YamlMappingNode> _clauseNodes = new(StringComparer.Ordinal);

    private ContractReader(string file) => _errors = new ErrorSink(file);

    /// <summary>Reads a contract from YAML text; returns null and the errors when it is not valid.</summary>
    public static (Contract? Contract, IReadOnlyList<PolicyError> Errors) Read(string file, TextReader text)
    {
        var reader = new ContractReader(file);
        var contract = reader.ReadDocument(text);
        if (contract is not null)
        {
            foreach (var check in reader._checks)
            {
                check(contract);
            }
        }

        var errors = reader._errors.Errors
            .Distinct()
            .OrderBy(e => e.Line).ThenBy(e => e.Column).ThenBy(e => e.Code, StringComparer.Ordinal)
            .ToList();
        return (errors.Count == 0 ? contract : null, errors);
    }

    private Contract? ReadDocument(TextReader text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(text);
        }
        catch (YamlException ex)
        {
            // YamlDotNet prefixes messages with the mark; keep the reason only.
            var message = ex.InnerException is ArgumentException && ex.Message.Contains("Duplicate key", StringComparison.OrdinalIgnoreCase)
                ? "duplicate key in a mapping"
                : StripMark(ex.Message);
            _errors.Add(ex.Start, PolicyErrorCodes.YamlSyntax, message);
            return null;
        }

        if (stream.Documents.Count != 1)
        {
            _errors.Add(new Mark(), PolicyErrorCodes.YamlSyntax, stream.Documents.Count == 0 ? "the file is empty" : "a contract file holds exactly one YAML document");
            return null;
        }

        var root = YamlMap.From(_errors, stream.Documents[0].RootNode, "the contract", TopKeys);
        return root is null ? null : ReadContract(root);
    }

    private static string StripMark(string message)
    {
        // "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): While scanning..." → "While scanning..."
        var index = message.LastIndexOf("): ", StringComparison.Ordinal);
        var reason = index >= 0 ? message[(index + 3)..] : message;
        return reason.Length > 0 ? char.ToLowerInvariant(reason[0]) + reason[1..] : reason;
    }

    private Contract? ReadContract(YamlMap root)
    {
        var id = root.Id("id");
        var title = root.String("title");
        var (start, end) = ReadPeriod(root);
        var territory = root.Required("territory") is { } t ? ReadTerritory(t) : null;
        var signatories = ReadSignatories(root);
        var purposes = ReadPurposes(root, "purposes", required: true);
        var prohibited = ReadPurposes(root, "prohibitedPurposes", required: false);
        var datasets = ReadDatasets(root);
        var clauses = ReadClauses(root.List("clauses"), "clauses");
        var amendments = ReadAmendments(root);
        var governance = root.Get("governance") is { } g ? ReadGovernance(g) : null;

        foreach (var (purpose, node) in prohibited)
        {
            if (purposes.Any(p => string.Equals(p.Purpose.Id, purpose.Id, StringComparison.Ordinal)))
            {
                _errors.Add(node, PolicyErrorCodes.Contradiction, $"purpose '{purpose.Id}' is both permitted and prohibited");
            }
        }

        if (id is null || title is null || start is null || end is null || territory is null)
        {
            return null;
        }

        CheckAmendmentDates(amendments, start.Value, end.Value);

        return new Contract
        {
            Id = id,
            Title = title,
            SourcePath = _errors.File,
            Territory = territory,
            Start = start.Value,
            End = end.Value,
            Signatories = signatories,
            Purposes = purposes.Select(p => p.Purpose).ToList(),
            ProhibitedPurposes = prohibited.Select(p => p.Purpose).ToList(),
            Datasets = datasets,
            Clauses = clauses,
            Amendments = amendments.Select(a => a.Amendment).ToList(),
            Governance = governance,
        };
    }

    private (DateOnly? Start, DateOnly? End) ReadPeriod(YamlMap root)
    {
        if (root.Required("period") is not { } node || YamlMap.From(_errors, node, "period", "start", "end") is not { } period)
        {
            return (null, null);
        }

        var start = period.Date("start");
        var end = period.Date("end");
        if (start is not null && end is not null && end < start)
        {
            _errors.Add(period.Get("end")!, PolicyErrorCodes.InvalidPeriod, $"the contract ends ({end:yyyy-MM-dd}) before it starts ({start:yyyy-MM-dd})");
            return (null, null);
        }

        return (start, end);
    }

    private Territory? ReadTerritory(YamlNode node)
    {
        if (YamlMap.From(_errors, node, "territory", "epci", "communes", "qpv", "qpv2015") is not { } map)
        {
            return null;
        }

        string? epciCode = null, epciName = null;
        if (map.Required("epci") is { } epciNode && YamlMap.From(_errors, epciNode, "territory.epci", "code", "name") is { } epci)
        {
            epciCode = epci.String("code");
            epciName = epci.String("name");
            if (epciCode is not null && !Identifiers.IsSiren(epciCode))
            {
                _errors.Add(epci.Get("code")!, PolicyErrorCodes.InvalidValue, $"the EPCI code '{epciCode}' must be a SIREN number (9 digits)");
            }
        }

        var communes = new List<Commune>();
        foreach (var item in map.List("communes"))
        {
            if (YamlMap.From(_errors, item, "a commune", "code", "name") is not { } commune)
            {
                continue;
            }

            var code = commune.String("code");
            var name = commune.String("name");
            if (code is not null && !Identifiers.IsCommuneCode(code))
            {
                _errors.Add(commune.Get("code")!, PolicyErrorCodes.InvalidValue, $"the commune code '{code}' must be an INSEE code (5 characters, e.g. 44109)");
                continue;
            }

            if (code is not null && communes.Any(c => c.Code == code))
            {
                _errors.Add(commune.Get("code")!, PolicyErrorCodes.DuplicateId, $"commune '{code}' is listed twice");
                continue;
            }

            if (code is not null && name is not null)
            {
                communes.Add(new Commune(code, name));
            }
        }

        var qpv = ReadQpvList(map, "qpv", Zoning.Qpv2024, communes, required: true);
        var qpv2015 = ReadQpvList(map, "qpv2015", Zoning.Qpv2015, communes, required: false);
        if (qpv2015.Count > 0)
        {
            var listNode = map.KeyNode("qpv2015")!;
            _checks.Add(contract =>
            {
                if (!contract.Clauses.Any(c => c.Zoning == Zoning.Qpv2015) && !contract.Amendments.SelectMany(a => a.Changes).Any(c => c.Clause?.Zoning == Zoning.Qpv2015))
                {
                    _errors.Add(listNode, PolicyErrorCodes.ZoningMismatch, "the territory lists 2015 QPV codes but no clause declares the qpv2015 zoning");
                }
            });
        }

        return epciCode is null || epciName is null ? null : new Territory
        {
            EpciCode = epciCode,
            EpciName = epciName,
            Communes = communes,
            Qpv = qpv,
            Qpv2015 = qpv2015,
        };
    }

    private List<Qpv> ReadQpvList(YamlMap map, string key, Zoning zoning, List<Commune> communes, bool required)
    {
        var list = new List<Qpv>();
        foreach (var item in map.List(key, required))
        {
            if (YamlMap.From(_errors, item, "a QPV", "code", "name", "commune") is not { } qpv)
            {
                continue;
            }

            var code = qpv.String("code");
            var name = qpv.String("name");
            var commune = qpv.String("commune");
            if (code is not null)
            {
                var valid = zoning == Zoning.Qpv2024 ? Identifiers.IsQpv2024Code(code) : Identifiers.IsQpv2015Code(code);
                if (!valid)
                {
                    var hint = zoning == Zoning.Qpv2024
                        ? Identifiers.IsQpv2015Code(code)
                            ? $"'{code}' is a 2015 code; list it under territory.qpv2015 for a clause in the qpv2015 zoning"
                            : $"'{code}' is not a 2024 QPV code (QN + département + number + N/M/I, e.g. QN04401M)"
                        : $"'{code}' is not a 2015 QPV code (QP + département + number, e.g. QP044001)";
                    _errors.Add(qpv.Get("code")!, PolicyErrorCodes.InvalidQpvCode, hint);
                    continue;
                }

                if (list.Any(q => q.Code == code))
                {
                    _errors.Add(qpv.Get("code")!, PolicyErrorCodes.DuplicateId, $"QPV '{code}' is listed twice");
                    continue;
                }
            }

            if (commune is not null && communes.Count > 0 && !communes.Any(c => c.Code == commune))
            {
                _errors.Add(qpv.Get("commune")!, PolicyErrorCodes.UnknownReference, $"QPV '{code}' names commune '{commune}', which is not in territory.communes");
                continue;
            }

            if (code is not null && name is not null && commune is not null)
            {
                list.Add(new Qpv(code, name, commune));
            }
        }

        return list;
    }

    private List<Signatory> ReadSignatories(YamlMap root)
    {
        var list = new List<Signatory>();
        foreach (var item in root.List("signatories"))
        {
            if (YamlMap.From(_errors, item, "a signatory", "id", "name", "kind", "dpo", "node") is not { } map)
            {
                continue;
            }

            var id = map.Id("id");
            var name = map.String("name");
            var kind = map.Enum<OrganisationKind>("kind", WireNames.TryParse);
            var dpo = map.String("dpo");
            NodeReference? node = null;
            if (map.Get("node") is { } nodeNode && YamlMap.From(_errors, nodeNode, $"the node of '{id}'", "url", "publicKey") is { } nodeMap)
            {
                var url = nodeMap.String("url");
                var key = nodeMap.String("publicKey");
                if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
                {
                    _errors.Add(nodeMap.Get("url")!, PolicyErrorCodes.InvalidValue, $"the node URL '{url}' must be an absolute http(s) URL");
                    url = null;
                }

                node = url is null || key is null ? null : new NodeReference(url, key);
            }

            if (id is not null && list.Any(s => s.Id == id))
            {
                _errors.Add(map.Get("id")!, PolicyErrorCodes.DuplicateId, $"signatory '{id}' is declared twice");
                continue;
            }

            if (id is not null && name is not null && kind is not null && dpo is not null)
            {
                list.Add(new Signatory { Id = id, Name = name, Kind = kind.Value, DpoContact = dpo, Node = node });
            }
        }

        return list;
    }

    private List<(Purpose Purpose, YamlNode Node)> ReadPurposes(YamlMap root, string key, bool required)
    {
        var list = new List<(Purpose, YamlNode)>();
        foreach (var item in root.List(key, required))
        {
            if (YamlMap.From(_errors, item, $"an item of '{key}'", "id", "label", "iri") is not { } map)
            {
                continue;
            }

            var id = map.Id("id");
            var label = map.String("label");
            var iri = map.String("iri", required: false);
            if (iri is not null && !Uri.TryCreate(iri, UriKind.Absolute, out _))
            {
                _errors.Add(map.Get("iri")!, PolicyErrorCodes.InvalidValue, $"the IRI '{iri}' must be an absolute IRI");
            }

            if (id is not null && list.Any(p => p.Item1.Id == id))
            {
                _errors.Add(map.Get("id")!, PolicyErrorCodes.DuplicateId, $"purpose '{id}' is declared twice in '{key}'");
                continue;
            }

            if (id is not null && label is not null)
            {
                list.Add((new Purpose(id, label, iri), map.Get("id")!));
            }
        }

        return list;
    }

    private List<DatasetDeclaration> ReadDatasets(YamlMap root)
    {
        var list = new List<DatasetDeclaration>();
        foreach (var item in root.List("datasets"))
        {
            if (YamlMap.From(_errors, item, "a dataset", "id", "provider", "title", "zoning", "dimensions", "measures") is not { } map)
            {
                continue;
            }

            var id = map.Id("id");
            var provider = map.Id("provider");
            var title = map.String("title");
            var zoning = map.Enum<Zoning>("zoning", WireNames.TryParse, required: false) ?? Zoning.Qpv2024;
            var context = $"dataset '{id}'";
            var dimensions = new List<DimensionDeclaration>();
            foreach (var dimNode in map.List("dimensions"))
            {
                if (YamlMap.From(_errors, dimNode, $"a dimension of {context}", "name", "label", "geo", "values") is not { } dim)
                {
                    continue;
                }

                var name = ColumnName(dim, "name");
                var geo = dim.Enum<GeoLevel>("geo", WireNames.TryParse, required: false);
                var values = dim.Scalars("values", required: false, ids: false).Select(v => v.Value).ToList();
                if (geo is not null && values.Count > 0)
                {
                    _errors.Add(dim.KeyNode("values")!, PolicyErrorCodes.Contradiction, $"geographic dimension '{name}' takes its values from the territory; remove 'values'");
                }

                if (name is not null && (dimensions.Any(d => d.Name == name)))
                {
                    _errors.Add(dim.Get("name")!, PolicyErrorCodes.DuplicateId, $"dimension '{name}' is declared twice in {context}");
                    continue;
                }

                if (name is not null)
                {
                    dimensions.Add(new DimensionDeclaration { Name = name, Label = dim.String("label", required: false), Geo = geo, Values = values });
                }
            }

            var measures = new List<MeasureDeclaration>();
            foreach (var measureNode in map.List("measures"))
            {
                if (YamlMap.From(_errors, measureNode, $"a measure of {context}", "name", "kind", "unit") is not { } measure)
                {
                    continue;
                }

                var name = ColumnName(measure, "name");
                var kindText = measure.String("kind");
                MeasureKind? kind = kindText switch
                {
                    "count" => MeasureKind.Count,
                    "sum" => MeasureKind.Sum,
                    null => null,
                    _ => null,
                };
                if (kindText is not null && kind is null)
                {
                    _errors.Add(measure.Get("kind")!, PolicyErrorCodes.InvalidValue, $"measure kind '{kindText}' is not one of: count, sum");
                }

                if (name is not null && (measures.Any(m => m.Name == name) || dimensions.Any(d => d.Name == name)))
                {
                    _errors.Add(measure.Get("name")!, PolicyErrorCodes.DuplicateId, $"'{name}' is declared twice in {context}");
                    continue;
                }

                if (name is not null && kind is not null)
                {
                    measures.Add(new MeasureDeclaration(name, kind.Value, measure.String("unit", required: false)));
                }
            }

            if (id is not null && list.Any(d => d.Id == id))
            {
                _errors.Add(map.Get("id")!, PolicyErrorCodes.DuplicateId, $"dataset '{id}' is declared twice");
                continue;
            }

            if (provider is not null)
            {
                var providerNode = map.Get("provider")!;
                _checks.Add(contract => CheckSignatory(contract, provider, providerNode, $"the provider of {context}"));
            }

            if (id is not null && provider is not null && title is not null)
            {
                list.Add(new DatasetDeclaration { Id = id, Provider = provider, Title = title, Zoning = zoning, Dimensions = dimensions, Measures = measures });
            }
        }

        return list;
    }

    private string? ColumnName(YamlMap map, string key)
    {
        var text = map.String(key);
        if (text is not null && !Identifiers.IsValidColumnName(text))
        {
            _errors.Add(map.Get(key)!, PolicyErrorCodes.InvalidValue, $"'{text}' is not a valid column name (lowercase letter first, then lowercase letters, digits or '_', at most 63 characters)");
            return null;
        }

        return text;
    }

    private List<Clause> ReadClauses(IReadOnlyList<YamlNode> items, string where)
    {
        var list = new List<Clause>();
        foreach (var item in items)
        {
            var clause = ReadClause(item, where);
            if (clause is null)
            {
                // Known but invalid: amendments to it are not reported again as unknown references.
                if (item is YamlMappingNode invalid && invalid.Children.TryGetValue(new YamlScalarNode("id"), out var idNode) && idNode is YamlScalarNode { Value: { } invalidId })
                {
                    _invalidClauses.Add(invalidId);
                }

                continue;
            }

            if (list.Any(c => c.Id == clause.Id))
            {
                _errors.Add(((YamlMappingNode)item).Children[new YamlScalarNode("id")], PolicyErrorCodes.DuplicateId, $"clause '{clause.Id}' is declared twice");
                continue;
            }

            _clauseNodes[clause.Id] = (YamlMappingNode)item;
            list.Add(clause);
        }

        return list;
    }

    private Clause? ReadClause(YamlNode node, string where)
    {
        // The context names the clause by id when it has one, so that a clause read again through an
        // amendment reports the same messages (and duplicates collapse).
        var peekedId = node is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode("id"), out var idNode) && idNode is YamlScalarNode { Value: { } v }
            ? v
            : null;
        var context = peekedId is null ? $"a clause of {where}" : $"clause '{peekedId}'";
        if (YamlMap.From(_errors, node, context, ClauseKeys) is not { } map)
        {
            return null;
        }

        var id = map.Id("id");
        var provider = map.Id("provider");
        var dataset = map.Id("dataset");
        var recipients = map.Required("recipients") is { } r ? ReadRecipients(r, context) : null;
        var purposes = map.Scalars("purposes");
        var dimensions = map.Scalars("dimensions", ids: false);
        var measures = map.Scalars("measures", ids: false);
        var (finest, zoning) = ReadGeography(map, context);
        var disclosure = map.Required("disclosure") is { } d ? ReadDisclosure(d, context) : null;
        var retention = map.Get("retention") is { } ret ? ReadRetention(ret, context) : null;
        var approval = map.Enum<ApprovalMode>("approval", WireNames.TryParse, required: false) ?? ApprovalMode.Steward;
        var publication = map.Get("publication") is { } pub ? ReadPublication(pub, context) : null;
        var legalBasis = map.String("legalBasis");

        // References are checked even when the clause is incomplete, so that every problem shows at once.
        var parts = new ClauseParts(id ?? peekedId ?? "?", provider, map.Get("provider"), dataset, map.Get("dataset"), recipients?.OrganisationNodes ?? [],
            purposes, dimensions, measures, finest, zoning, map.Get("geography"), retention, map.Get("retention"), disclosure);
        _checks.Add(contract => CheckClause(contract, parts));

        if (id is null || provider is null || dataset is null || recipients is null || finest is null || disclosure is null || legalBasis is null)
        {
            return null;
        }

        return new Clause
        {
            Id = id,
            Title = map.String("title", required: false),
            Provider = provider,
            Dataset = dataset,
            Recipients = recipients.Value.Recipients,
            Purposes = purposes.Select(p => p.Value).ToList(),
            Dimensions = dimensions.Select(p => p.Value).ToList(),
            Measures = measures.Select(p => p.Value).ToList(),
            FinestGeography = finest.Value,
            Zoning = zoning,
            Disclosure = disclosure,
            Retention = retention,
            Approval = approval,
            Publication = publication,
            LegalBasis = legalBasis,
        };
    }

    /// <summary>What could be read of a clause, with the nodes its references come from.</summary>
    private sealed record ClauseParts(
        string Id,
        string? Provider,
        YamlNode? ProviderNode,
        string? Dataset,
        YamlNode? DatasetNode,
        IReadOnlyList<(string Value, YamlNode Node)> Organisations,
        IReadOnlyList<(string Value, YamlNode Node)> Purposes,
        IReadOnlyList<(string Value, YamlNode Node)> Dimensions,
        IReadOnlyList<(string Value, YamlNode Node)> Measures,
        GeoLevel? Finest,
        Zoning Zoning,
        YamlNode? GeographyNode,
        RetentionRule? Retention,
        YamlNode? RetentionNode,
        DisclosureRules? Disclosure);

    private (Recipients Recipients, IReadOnlyList<(string Value, YamlNode Node)> OrganisationNodes)? ReadRecipients(YamlNode node, string context)
    {
        if (YamlMap.From(_errors, node, $"the recipients of {context}", "organisations", "kinds", "roles") is not { } map)
        {
            return null;
        }

        var organisations = map.Scalars("organisations", required: false);
        var kinds = new List<OrganisationKind>();
        foreach (var item in map.List("kinds", required: false))
        {
            if (map.EnumValue<OrganisationKind>(item, WireNames.TryParse, $"a recipient kind of {context}") is { } kind)
            {
                kinds.Add(kind);
            }
        }

        var roles = map.Has("roles") ? map.Scalars("roles").Select(r => r.Value).ToList() : ["analyst"];
        foreach (var (role, roleNode) in map.Has("roles") ? map.Scalars("roles") : [])
        {
            if (role is not ("analyst" or "steward" or "dpo" or "publisher" or "admin"))
            {
                _errors.Add(roleNode, PolicyErrorCodes.InvalidValue, $"role '{role}' is not one of: admin, analyst, dpo, publisher, steward");
            }
        }

        if (organisations.Count == 0 && kinds.Count == 0)
        {
            _errors.Add(node, PolicyErrorCodes.MissingKey, $"the recipients of {context} name no organisation and no kind: add 'organisations' or 'kinds'");
        }

        return (new Recipients { Organisations = organisations.Select(o => o.Value).ToList(), Kinds = kinds, Roles = roles.Distinct(StringComparer.Ordinal).ToList() }, organisations);
    }

    private (GeoLevel? Finest, Zoning Zoning) ReadGeography(YamlMap clause, string context)
    {
        if (clause.Required("geography") is not { } node || YamlMap.From(_errors, node, $"the geography of {context}", "finest", "zoning") is not { } map)
        {
            return (null, Zoning.Qpv2024);
        }

        return (map.Enum<GeoLevel>("finest", WireNames.TryParse), map.Enum<Zoning>("zoning", WireNames.TryParse, required: false) ?? Zoning.Qpv2024);
    }

    private DisclosureRules? ReadDisclosure(YamlNode node, string context)
    {
        if (YamlMap.From(_errors, node, $"the disclosure rules of {context}", "minCount", "dominance", "pPercent", "rounding", "secondarySuppression", "protectZeros") is not { } map)
        {
            return null;
        }

        var minCount = map.Integer("minCount", 1, 1000, code: PolicyErrorCodes.InvalidThreshold);
        DominanceRule? dominance = null;
        if (map.Get("dominance") is { } dominanceNode && YamlMap.From(_errors, dominanceNode, $"the dominance rule of {context}", "n", "k") is { } dom)
        {
            var n = dom.Integer("n", 1, 10, code: PolicyErrorCodes.InvalidThreshold);
            var k = dom.Number("k", 1, 100, code: PolicyErrorCodes.InvalidThreshold);
            dominance = n is null || k is null ? null : new DominanceRule(n.Value, k.Value);
        }

        var pPercent = map.Number("pPercent", 1, 100, required: false, code: PolicyErrorCodes.InvalidThreshold);
        var rounding = map.Enum<RoundingMode>("rounding", WireNames.TryParse, required: false) ?? RoundingMode.None;
        var secondary = map.Boolean("secondarySuppression") ?? true;
        var zeros = map.Boolean("protectZeros") ?? false;
        return minCount is null ? null : new DisclosureRules
        {
            MinCount = minCount.Value,
            Dominance = dominance,
            PPercent = pPercent,
            Rounding = rounding,
            SecondarySuppression = secondary,
            ProtectZeros = zeros,
        };
    }

    private RetentionRule? ReadRetention(YamlNode node, string context)
    {
        if (YamlMap.From(_errors, node, $"the retention of {context}", "max", "atEnd") is not { } map)
        {
            return null;
        }

        var max = map.Duration("max");
        var atEnd = map.Enum<RetentionEnd>("atEnd", WireNames.TryParse);
        return max is null || atEnd is null ? null : new RetentionRule(max.Value, atEnd.Value);
    }

    private PublicationCommitment? ReadPublication(YamlNode node, string context)
    {
        if (YamlMap.From(_errors, node, $"the publication commitment of {context}", "frequency", "format", "tier") is not { } map)
        {
            return null;
        }

        var frequency = map.Duration("frequency");
        var format = map.String("format");
        if (format is not null && format is not ("csv" or "json" or "parquet" or "xlsx"))
        {
            _errors.Add(map.Get("format")!, PolicyErrorCodes.InvalidValue, $"format '{format}' is not one of: csv, json, parquet, xlsx");
            format = null;
        }

        var tier = map.Enum<Tier>("tier", WireNames.TryParse);
        return frequency is null || format is null || tier is null ? null : new PublicationCommitment(frequency.Value, format, tier.Value);
    }

    private List<(Amendment Amendment, YamlMap Map)> ReadAmendments(YamlMap root)
    {
        // Amendments replay in order over the clauses' YAML: a 'modify' merges its 'set' keys into the
        // clause as it reads at that point, and the merged clause is read and checked by the same code.
        var current = new Dictionary<string, YamlMappingNode>(_clauseNodes, StringComparer.Ordinal);
        var list = new List<(Amendment, YamlMap)>();
        foreach (var item in root.List("amendments", required: false))
        {
            if (YamlMap.From(_errors, item, "an amendment", "number", "title", "signed", "effective", "changes") is not { } map)
            {
                continue;
            }

            var number = map.Integer("number", 1, 999);
            var context = $"amendment {number}";
            var signed = map.Date("signed");
            var effective = map.Date("effective");
            var changes = new List<ClauseChange>();
            foreach (var changeNode in map.List("changes"))
            {
                if (ReadChange(changeNode, context, current) is { } change)
                {
                    changes.Add(change);
                }
            }

            if (number is not null && list.Any(a => a.Item1.Number == number))
            {
                _errors.Add(map.Get("number")!, PolicyErrorCodes.DuplicateId, $"amendment {number} is declared twice");
                continue;
            }

            if (number is not null && list.Count > 0 && number <= list[^1].Item1.Number)
            {
                _errors.Add(map.Get("number")!, PolicyErrorCodes.InvalidValue, $"amendments must be listed in increasing order of number ({number} follows {list[^1].Item1.Number})");
            }

            if (signed is not null && effective is not null && effective < signed)
            {
                _errors.Add(map.Get("effective")!, PolicyErrorCodes.InvalidPeriod, $"{context} takes effect ({effective:yyyy-MM-dd}) before it is signed ({signed:yyyy-MM-dd})");
            }

            if (list.Count > 0 && effective is not null && effective < list[^1].Item1.Effective)
            {
                _errors.Add(map.Get("effective")!, PolicyErrorCodes.InvalidPeriod, $"{context} takes effect ({effective:yyyy-MM-dd}) before amendment {list[^1].Item1.Number} ({list[^1].Item1.Effective:yyyy-MM-dd})");
            }

            if (number is not null && signed is not null && effective is not null)
            {
                list.Add((new Amendment { Number = number.Value, Title = map.String("title", required: false), Signed = signed.Value, Effective = effective.Value, Changes = changes }, map));
            }
        }

        return list;
    }

    private ClauseChange? ReadChange(YamlNode node, string context, Dictionary<string, YamlMappingNode> current)
    {
        if (YamlMap.From(_errors, node, $"a change of {context}", "add", "modify", "remove", "set") is not { } map)
        {
            return null;
        }

        var verbs = new[] { "add", "modify", "remove" }.Where(map.Has).ToList();
        if (verbs.Count != 1)
        {
            _errors.Add(node, PolicyErrorCodes.InvalidValue, $"a change of {context} has exactly one of 'add', 'modify' or 'remove'");
            return null;
        }

        if (verbs[0] != "modify" && map.Has("set"))
        {
            _errors.Add(map.KeyNode("set")!, PolicyErrorCodes.UnknownKey, $"'set' goes with 'modify', not with '{verbs[0]}'");
        }

        switch (verbs[0])
        {
            case "add":
                var addNode = map.Get("add")!;
                var added = ReadClause(addNode, context);
                if (added is null)
                {
                    return null;
                }

                if (current.ContainsKey(added.Id))
                {
                    _errors.Add(addNode, PolicyErrorCodes.DuplicateId, $"{context} adds clause '{added.Id}', which already exists at that point");
                    return null;
                }

                current[added.Id] = (YamlMappingNode)addNode;
                return new ClauseChange(ClauseChangeKind.Add, added.Id, added);

            case "remove":
                var removed = map.Id("remove");
                if (removed is null)
                {
                    return null;
                }

                if (!current.Remove(removed))
                {
                    if (_invalidClauses.Contains(removed))
                    {
                        return null;
                    }

                    _errors.Add(map.Get("remove")!, PolicyErrorCodes.UnknownReference, $"{context} removes clause '{removed}', which does not exist at that point");
                    return null;
                }

                return new ClauseChange(ClauseChangeKind.Remove, removed, null);

            default:
                var target = map.Id("modify");
                var setNode = map.Required("set");
                if (target is null || setNode is null)
                {
                    return null;
                }

                if (!current.TryGetValue(target, out var original))
                {
                    if (_invalidClauses.Contains(target))
                    {
                        return null;
                    }

                    _errors.Add(map.Get("modify")!, PolicyErrorCodes.UnknownReference, $"{context} modifies clause '{target}', which does not exist at that point");
                    return null;
                }

                if (YamlMap.From(_errors, setNode, $"'set' of {context}", ClauseKeys) is not { } set)
                {
                    return null;
                }

                var merged = new YamlMappingNode(original.Children);
                var valid = true;
                foreach (var (key, value) in set.Node.Children)
                {
                    if (key is YamlScalarNode { Value: "id" or "provider" or "dataset" } fixedKey)
                    {
                        _errors.Add(key, PolicyErrorCodes.InvalidValue, $"{context} cannot change the {fixedKey.Value} of clause '{target}'; remove the clause and add a new one instead");
                        valid = false;
                        continue;
                    }

                    merged.Children[key] = value;
                }

                var clause = valid ? ReadClause(merged, context) : null;
                if (clause is null)
                {
                    return null;
                }

                current[target] = merged;
                return new ClauseChange(ClauseChangeKind.Modify, target, clause);
        }
    }

    private void CheckAmendmentDates(List<(Amendment Amendment, YamlMap Map)> amendments, DateOnly start, DateOnly end)
    {
        foreach (var (amendment, map) in amendments)
        {
            if (amendment.Effective < start || amendment.Effective > end)
            {
                _errors.Add(map.Get("effective")!, PolicyErrorCodes.InvalidPeriod, $"amendment {amendment.Number} takes effect on {amendment.Effective:yyyy-MM-dd}, outside the contract period {start:yyyy-MM-dd} – {end:yyyy-MM-dd}");
            }
        }
    }

    private Governance? ReadGovernance(YamlNode node)
    {
        if (YamlMap.From(_errors, node, "governance", "steeringCommittee", "reviewDate", "ethicsLabel") is not { } map)
        {
            return null;
        }

        var members = map.Scalars("steeringCommittee", required: false);
        foreach (var (member, memberNode) in members)
        {
            _checks.Add(contract => CheckSignatory(contract, member, memberNode, "a steering committee member"));
        }

        string? scheme = null, reference = null;
        if (map.Get("ethicsLabel") is { } labelNode && YamlMap.From(_errors, labelNode, "governance.ethicsLabel", "scheme", "reference") is { } label)
        {
            scheme = label.String("scheme");
            reference = label.String("reference", required: false);
        }

        var review = map.Date("reviewDate", required: false);
        if (review is { } reviewDate)
        {
            var reviewNode = map.Get("reviewDate")!;
            _checks.Add(contract =>
            {
                if (!contract.IsInForce(reviewDate))
                {
                    _errors.Add(reviewNode, PolicyErrorCodes.InvalidPeriod, $"the review date {reviewDate:yyyy-MM-dd} is outside the contract period");
                }
            });
        }

        return new Governance
        {
            SteeringCommittee = members.Select(m => m.Value).ToList(),
            ReviewDate = review,
            EthicsLabelScheme = scheme,
            EthicsLabelReference = reference,
        };
    }

    private void CheckSignatory(Contract contract, string id, YamlNode node, string what)
    {
        if (contract.FindSignatory(id) is null)
        {
            _errors.Add(node, PolicyErrorCodes.UnknownReference, $"{what} '{id}' is not a signatory of the contract");
        }
    }

    private void CheckClause(Contract contract, ClauseParts clause)
    {
        var context = $"clause '{clause.Id}'";
        if (clause.Provider is not null && clause.ProviderNode is not null)
        {
            CheckSignatory(contract, clause.Provider, clause.ProviderNode, $"the provider of {context}");
        }

        foreach (var (organisation, node) in clause.Organisations)
        {
            CheckSignatory(contract, organisation, node, $"a recipient of {context}");
        }

        foreach (var (purpose, node) in clause.Purposes)
        {
            if (contract.ProhibitedPurposes.Any(p => p.Id == purpose))
            {
                _errors.Add(node, PolicyErrorCodes.ProhibitedPurposeGranted, $"{context} grants '{purpose}', a purpose the contract prohibits");
            }
            else if (!contract.Purposes.Any(p => p.Id == purpose))
            {
                _errors.Add(node, PolicyErrorCodes.UnknownReference, $"{context} grants purpose '{purpose}', which the contract does not declare");
            }
        }

        if (clause.Retention is { } retention && clause.RetentionNode is not null && retention.Max.AddTo(contract.Start) > contract.End.AddDays(1))
        {
            _errors.Add(clause.RetentionNode, PolicyErrorCodes.RetentionExceedsContract, $"{context} allows a retention of {retention.Max}, longer than the contract itself ({contract.Start:yyyy-MM-dd} – {contract.End:yyyy-MM-dd})");
        }

        if (clause.Dataset is null || clause.DatasetNode is null)
        {
            return;
        }

        var dataset = contract.FindDataset(clause.Dataset);
        if (dataset is null)
        {
            _errors.Add(clause.DatasetNode, PolicyErrorCodes.UnknownReference, $"{context} names dataset '{clause.Dataset}', which the contract does not declare");
            return;
        }

        if (clause.Provider is not null && clause.ProviderNode is not null && dataset.Provider != clause.Provider)
        {
            _errors.Add(clause.ProviderNode, PolicyErrorCodes.Contradiction, $"{context} is provided by '{clause.Provider}' but dataset '{dataset.Id}' belongs to '{dataset.Provider}'");
        }

        foreach (var (dimension, node) in clause.Dimensions)
        {
            var declared = dataset.FindDimension(dimension);
            if (declared is null)
            {
                _errors.Add(node, PolicyErrorCodes.UnknownReference, $"{context} allows dimension '{dimension}', which dataset '{dataset.Id}' does not declare");
            }
            else if (declared.Geo is { } level && clause.Finest is { } finest && level < finest)
            {
                _errors.Add(node, PolicyErrorCodes.Contradiction, $"{context} allows dimension '{dimension}' ({level.ToWire()}), finer than its finest geography ({finest.ToWire()})");
            }
        }

        foreach (var (measure, node) in clause.Measures)
        {
            if (!dataset.Measures.Any(m => m.Name == measure))
            {
                _errors.Add(node, PolicyErrorCodes.UnknownReference, $"{context} allows measure '{measure}', which dataset '{dataset.Id}' does not declare");
            }
        }

        if (clause.GeographyNode is not null && dataset.Zoning != clause.Zoning)
        {
            _errors.Add(clause.GeographyNode, PolicyErrorCodes.ZoningMismatch, $"{context} is in the {clause.Zoning.ToWire()} zoning but dataset '{dataset.Id}' is in {dataset.Zoning.ToWire()}; the two are never mixed");
        }

        if (clause.Disclosure is { } disclosure && (disclosure.Dominance is not null || disclosure.PPercent is not null)
            && !clause.Measures.Any(m => dataset.Measures.Any(d => d.Name == m.Value && d.Kind == MeasureKind.Sum)))
        {
            _errors.Add(clause.GeographyNode ?? clause.DatasetNode, PolicyErrorCodes.Contradiction, $"{context} sets a dominance or p% rule but allows no sum measure for it to apply to");
        }
    }
}
