using System.Globalization;
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

    private static readonly Territory NoTerritory = new() { EpciCode = string.Empty, EpciName = string.Empty, Communes = [], Qpv = [] };

    private readonly ErrorSink _errors;

    // Reference checks run once everything is read, so that order in the file does not matter. They run even when
    // the contract is incomplete, so that every problem shows at once.
    private readonly List<Action<Contract>> _checks = [];

    // Clauses that have an id but failed to read: amendments naming them stay silent (the cause is reported).
    private readonly HashSet<string> _invalidClauses = new(StringComparer.Ordinal);

    // The signed clauses' YAML, by id, for amendments to merge into.
    private readonly Dictionary<string, YamlMappingNode> _clauseNodes = new(StringComparer.Ordinal);

    // Every id declared, whether or not the rest of its declaration is valid: a reference to a declaration that
    // failed to read is not reported again as unknown (one root cause, one error).
    private readonly HashSet<string> _signatoryIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _purposeIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _prohibitedIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _datasetIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _communeCodes = new(StringComparer.Ordinal);

    // By dataset: the names of dimensions and measures written but not readable (bad name, bad kind…).
    private readonly Dictionary<string, HashSet<string>> _unreadColumns = new(StringComparer.Ordinal);

    // Datasets whose zoning is not valid: clauses on them are not compared with it.
    private readonly HashSet<string> _datasetsWithInvalidZoning = new(StringComparer.Ordinal);

    // The contract period, once read and valid; checks against it are skipped otherwise.
    private (DateOnly Start, DateOnly End)? _period;

    // Whether any clause (valid or not, signed or added) declares the 2015 zoning.
    private bool _anyQpv2015Clause;

    private ContractReader(string file) => _errors = new ErrorSink(file);

    /// <summary>Reads a contract from YAML text; returns null and the errors when it is not valid.</summary>
    public static (Contract? Contract, IReadOnlyList<PolicyError> Errors) Read(string file, TextReader text)
    {
        var reader = new ContractReader(file);
        var (contract, complete) = reader.ReadDocument(text);
        if (contract is not null)
        {
            foreach (var check in reader._checks)
            {
                check(contract);
            }
        }

        if (!complete && reader._errors.Errors.Count == 0)
        {
            // Fail closed: a contract that could not be read is never silently dropped.
            reader._errors.Add(new Mark(0, 1, 1), PolicyErrorCodes.InvalidValue, "the contract could not be read");
        }

        var errors = reader._errors.Errors
            .Distinct()
            .OrderBy(e => e.Line).ThenBy(e => e.Column).ThenBy(e => e.Code, StringComparer.Ordinal)
            .ToList();
        return (errors.Count == 0 && complete ? contract : null, errors);
    }

    private (Contract? Contract, bool Complete) ReadDocument(TextReader text)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(text);
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException ex)
        {
            _errors.Add(ex.Start, PolicyErrorCodes.YamlSyntax, SyntaxMessage(ex.Message));
            return (null, false);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws a bare exception instead of a YamlException on some unterminated flow
            // collections (https://github.com/aaubry/YamlDotNet/issues/541); report it where the scanner stopped.
            _errors.Add(scanner.CurrentPosition, PolicyErrorCodes.YamlSyntax, "the YAML cannot be read past this point; look above for an unclosed '[', '{' or quote");
            return (null, false);
        }

        if (stream.Documents.Count == 0)
        {
            _errors.Add(new Mark(0, 1, 1), PolicyErrorCodes.YamlSyntax, "the file is empty; a contract is a mapping with at least id, title, period, territory, signatories, purposes, datasets and clauses");
            return (null, false);
        }

        if (stream.Documents.Count > 1)
        {
            _errors.Add(stream.Documents[1].RootNode.Start, PolicyErrorCodes.YamlSyntax, "a second YAML document starts here; a contract file holds exactly one");
            return (null, false);
        }

        var root = YamlMap.From(_errors, stream.Documents[0].RootNode, "the contract", TopKeys);
        return root is null ? (null, false) : ReadContract(root);
    }

    private static string SyntaxMessage(string message)
    {
        // "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): While scanning..." → "while scanning..."
        var index = message.LastIndexOf("): ", StringComparison.Ordinal);
        var reason = (index >= 0 ? message[(index + 3)..] : message).Trim().TrimEnd('.');
        if (reason.StartsWith("Duplicate key", StringComparison.OrdinalIgnoreCase))
        {
            var key = reason["Duplicate key".Length..].Trim();
            return key.Length > 0
                ? $"duplicate key '{key}': each key appears once in a mapping"
                : "duplicate key: each key appears once in a mapping";
        }

        return reason.Length > 0 ? char.ToLowerInvariant(reason[0]) + reason[1..] : reason;
    }

    /// <summary>The id of a mapping item when it has a valid one, to name the item in messages.</summary>
    private static string? PeekId(YamlNode node, string key = "id") =>
        YamlMap.Peek(node, key) is { } id && Identifiers.IsValidId(id) ? id : null;

    private (Contract Contract, bool Complete) ReadContract(YamlMap root)
    {
        var id = root.Id("id");
        var title = root.String("title");
        ReadPeriod(root);
        var territory = root.Required("territory") is { } t ? ReadTerritory(t) : null;
        var signatories = ReadSignatories(root);
        var (purposes, _) = ReadPurposes(root, "purposes", required: true, _purposeIds);
        var (prohibited, prohibitedNodes) = ReadPurposes(root, "prohibitedPurposes", required: false, _prohibitedIds);
        var datasets = ReadDatasets(root);
        var clauses = ReadClauses(root.List("clauses"));
        var amendments = ReadAmendments(root);
        var governance = root.Get("governance") is { } g ? ReadGovernance(g) : null;

        foreach (var (purpose, node) in prohibitedNodes)
        {
            if (_purposeIds.Contains(purpose))
            {
                _errors.Add(node, PolicyErrorCodes.Contradiction, $"purpose '{purpose}' is both permitted and prohibited; remove it from 'purposes' or from 'prohibitedPurposes'");
            }
        }

        if (_period is { } period)
        {
            CheckAmendmentDates(amendments, period.Start, period.End);
        }

        // The contract is built even when incomplete, so that the reference checks can run; it is returned only
        // when complete and without error.
        var contract = new Contract
        {
            Id = id ?? "?",
            Title = title ?? string.Empty,
            SourcePath = _errors.File,
            Territory = territory ?? NoTerritory,
            Start = _period?.Start ?? DateOnly.MinValue,
            End = _period?.End ?? DateOnly.MinValue,
            Signatories = signatories,
            Purposes = purposes,
            ProhibitedPurposes = prohibited,
            Datasets = datasets,
            Clauses = clauses,
            Amendments = amendments.Select(a => a.Amendment).ToList(),
            Governance = governance,
        };
        return (contract, id is not null && title is not null && _period is not null && territory is not null);
    }

    private void ReadPeriod(YamlMap root)
    {
        if (root.Required("period") is not { } node || YamlMap.From(_errors, node, "period", "start", "end") is not { } period)
        {
            return;
        }

        var start = period.Date("start");
        var end = period.Date("end");
        if (start is null || end is null)
        {
            return;
        }

        if (end < start)
        {
            _errors.Add(period.Get("end")!, PolicyErrorCodes.InvalidPeriod, $"the contract ends ({end:yyyy-MM-dd}) before it starts ({start:yyyy-MM-dd})");
            return;
        }

        _period = (start.Value, end.Value);
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
                _errors.Add(epci.Get("code")!, PolicyErrorCodes.InvalidValue, $"the EPCI code must be a SIREN number (9 digits, e.g. 200099999), not '{epciCode}'");
                epciCode = null;
            }
        }

        var communes = new List<Commune>();
        var communeNodes = map.List("communes");
        foreach (var item in communeNodes)
        {
            if (YamlMap.Peek(item, "code") is { } written)
            {
                _communeCodes.Add(written);
            }
        }

        var seenCommunes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in communeNodes)
        {
            var peeked = YamlMap.Peek(item, "code") is { } p && Identifiers.IsCommuneCode(p) ? p : null;
            if (YamlMap.From(_errors, item, peeked is null ? "a commune" : $"commune '{peeked}'", "code", "name") is not { } commune)
            {
                continue;
            }

            var code = commune.String("code");
            var name = commune.String("name");
            if (code is not null && !Identifiers.IsCommuneCode(code))
            {
                _errors.Add(commune.Get("code")!, PolicyErrorCodes.InvalidValue, $"the commune code must be an INSEE code (5 characters, e.g. 44109 or 2A004), not '{code}'");
                continue;
            }

            if (code is not null && !seenCommunes.Add(code))
            {
                _errors.Add(commune.Get("code")!, PolicyErrorCodes.DuplicateId, $"commune '{code}' is listed twice");
                continue;
            }

            if (code is not null && name is not null)
            {
                communes.Add(new Commune(code, name));
            }
        }

        var qpv = ReadQpvList(map, "qpv", Zoning.Qpv2024, required: true);
        var qpv2015 = ReadQpvList(map, "qpv2015", Zoning.Qpv2015, required: false);
        if (map.Get("qpv2015") is YamlSequenceNode { Children.Count: > 0 })
        {
            var listNode = map.KeyNode("qpv2015")!;
            _checks.Add(_ =>
            {
                if (!_anyQpv2015Clause)
                {
                    _errors.Add(listNode, PolicyErrorCodes.ZoningMismatch, "the territory lists 2015 QPV codes but no clause declares the qpv2015 zoning; remove 'qpv2015' or add such a clause");
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

    private List<Qpv> ReadQpvList(YamlMap map, string key, Zoning zoning, bool required)
    {
        var list = new List<Qpv>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in map.List(key, required))
        {
            var peeked = YamlMap.Peek(item, "code") is { } p && (Identifiers.IsQpv2024Code(p) || Identifiers.IsQpv2015Code(p)) ? p : null;
            if (YamlMap.From(_errors, item, peeked is null ? $"a QPV of territory.{key}" : $"QPV '{peeked}'", "code", "name", "commune") is not { } qpv)
            {
                continue;
            }

            var code = qpv.String("code");
            var name = qpv.String("name");
            var commune = qpv.String("commune");
            var valid = code is not null;
            if (code is not null)
            {
                if (!(zoning == Zoning.Qpv2024 ? Identifiers.IsQpv2024Code(code) : Identifiers.IsQpv2015Code(code)))
                {
                    var hint = zoning == Zoning.Qpv2024
                        ? Identifiers.IsQpv2015Code(code)
                            ? $"'{code}' is a 2015 QPV code; territory.qpv lists 2024 codes only (list 2015 codes under territory.qpv2015, for clauses in the qpv2015 zoning)"
                            : $"'{code}' is not a 2024 QPV code (QN, the département on 3 characters, a 2-digit number and N, M or I, e.g. QN04401M or QN02A01M)"
                        : Identifiers.IsQpv2024Code(code)
                            ? $"'{code}' is a 2024 QPV code; territory.qpv2015 lists 2015 codes only (list 2024 codes under territory.qpv)"
                            : $"'{code}' is not a 2015 QPV code (QP, the département on 3 characters and a 3-digit number, e.g. QP044001)";
                    _errors.Add(qpv.Get("code")!, PolicyErrorCodes.InvalidQpvCode, hint);
                    valid = false;
                }
                else if (!seen.Add(code))
                {
                    _errors.Add(qpv.Get("code")!, PolicyErrorCodes.DuplicateId, $"QPV '{code}' is listed twice in territory.{key}");
                    continue;
                }
            }

            if (commune is not null && _communeCodes.Count > 0 && !_communeCodes.Contains(commune))
            {
                var which = code is null ? "a QPV" : $"QPV '{code}'";
                _errors.Add(qpv.Get("commune")!, PolicyErrorCodes.UnknownReference, $"{which} names commune '{commune}', which is not in territory.communes");
                valid = false;
            }

            if (valid && code is not null && name is not null && commune is not null)
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
            var peeked = PeekId(item);
            var context = peeked is null ? "a signatory" : $"signatory '{peeked}'";
            if (YamlMap.From(_errors, item, context, "id", "name", "kind", "dpo", "node") is not { } map)
            {
                continue;
            }

            var id = map.Id("id");
            var name = map.String("name");
            var kind = map.Enum<OrganisationKind>("kind", WireNames.TryParse);
            var dpo = map.String("dpo");
            NodeReference? node = null;
            var nodeValid = true;
            if (map.Get("node") is { } nodeNode)
            {
                nodeValid = false;
                if (YamlMap.From(_errors, nodeNode, $"the node of {context}", "url", "publicKey", "jwks") is { } nodeMap)
                {
                    var url = HttpUrl(nodeMap, "url", "the node URL");
                    var key = nodeMap.Get("publicKey") is null ? null : nodeMap.String("publicKey");
                    var jwks = nodeMap.Get("jwks") is null ? null : HttpUrl(nodeMap, "jwks", "the node's JWKS address");
                    var keyValid = true;
                    if ((nodeMap.Get("publicKey") is null) == (nodeMap.Get("jwks") is null))
                    {
                        _errors.Add(nodeNode, PolicyErrorCodes.InvalidValue, $"the node of {context} needs exactly one of 'publicKey' (its key) and 'jwks' (its key set's address)");
                        keyValid = false;
                    }
                    else if (key is not null && !NodeKeys.IsPublicKey(key))
                    {
                        _errors.Add(nodeMap.Get("publicKey")!, PolicyErrorCodes.InvalidValue, "the node's publicKey must be the base64 of a DER SubjectPublicKeyInfo of an EC P-256 key (openssl ec -pubout -outform DER | base64 -w0)");
                        keyValid = false;
                    }

                    node = url is null || !keyValid || (key is null && jwks is null) ? null : new NodeReference(url, key, jwks);
                    nodeValid = node is not null;
                }
            }

            if (id is not null && !_signatoryIds.Add(id))
            {
                _errors.Add(map.Get("id")!, PolicyErrorCodes.DuplicateId, $"signatory '{id}' is declared twice");
                continue;
            }

            if (id is not null && name is not null && kind is not null && dpo is not null && nodeValid)
            {
                list.Add(new Signatory { Id = id, Name = name, Kind = kind.Value, DpoContact = dpo, Node = node });
            }
        }

        return list;
    }

    /// <summary>An absolute http(s) URL under <paramref name="key"/>, or null with an error.</summary>
    private string? HttpUrl(YamlMap map, string key, string what)
    {
        var url = map.String(key);
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            _errors.Add(map.Get(key)!, PolicyErrorCodes.InvalidValue, $"{what} must be an absolute http(s) URL, not '{url}'");
            return null;
        }

        return url;
    }

    private (List<Purpose> Purposes, List<(string Id, YamlNode Node)> Declared) ReadPurposes(YamlMap root, string key, bool required, HashSet<string> ids)
    {
        var list = new List<Purpose>();
        var declared = new List<(string, YamlNode)>();
        foreach (var item in root.List(key, required))
        {
            var peeked = PeekId(item);
            var context = peeked is null ? $"an item of '{key}'" : key == "purposes" ? $"purpose '{peeked}'" : $"prohibited purpose '{peeked}'";
            if (YamlMap.From(_errors, item, context, "id", "label", "iri") is not { } map)
            {
                continue;
            }

            var id = map.Id("id");
            var label = map.String("label");
            var iri = map.String("iri", required: false);
            if (iri is not null && !Uri.TryCreate(iri, UriKind.Absolute, out _))
            {
                _errors.Add(map.Get("iri")!, PolicyErrorCodes.InvalidValue, $"'iri' in {context} must be an absolute IRI (e.g. https://w3id.org/dpv#PublicBenefit), not '{iri}'");
                iri = null;
            }

            if (id is not null && !ids.Add(id))
            {
                _errors.Add(map.Get("id")!, PolicyErrorCodes.DuplicateId, $"purpose '{id}' is declared twice in '{key}'");
                continue;
            }

            if (id is not null)
            {
                declared.Add((id, map.Get("id")!));
            }

            if (id is not null && label is not null && (iri is not null || !map.Has("iri")))
            {
                list.Add(new Purpose(id, label, iri));
            }
        }

        return (list, declared);
    }

    private List<DatasetDeclaration> ReadDatasets(YamlMap root)
    {
        var list = new List<DatasetDeclaration>();
        foreach (var item in root.List("datasets"))
        {
            var peeked = PeekId(item);
            var context = peeked is null ? "a dataset" : $"dataset '{peeked}'";
            if (YamlMap.From(_errors, item, context, "id", "provider", "title", "zoning", "dimensions", "measures") is not { } map)
            {
                continue;
            }

            var id = map.Id("id");
            var provider = map.Id("provider");
            var title = map.String("title");
            var zoning = map.Has("zoning") ? map.Enum<Zoning>("zoning", WireNames.TryParse) : Zoning.Qpv2024;
            var unread = new HashSet<string>(StringComparer.Ordinal);

            var dimensions = new List<DimensionDeclaration>();
            foreach (var dimNode in map.List("dimensions"))
            {
                var dimName = YamlMap.Peek(dimNode, "name") is { } n && Identifiers.IsValidColumnName(n) ? n : null;
                if (YamlMap.From(_errors, dimNode, dimName is null ? $"a dimension of {context}" : $"dimension '{dimName}' of {context}", "name", "label", "geo", "values") is not { } dim)
                {
                    continue;
                }

                var name = ColumnName(dim, "name");
                var label = dim.String("label", required: false);
                var geo = dim.Enum<GeoLevel>("geo", WireNames.TryParse, required: false);
                var valueNodes = dim.Scalars("values", required: false, ids: false);
                var values = valueNodes.Select(v => v.Value).ToList();
                var valid = name is not null && (geo is not null || !dim.Has("geo"));
                foreach (var (value, node) in valueNodes.Where(v => string.Equals(v.Value, "Total", StringComparison.OrdinalIgnoreCase)))
                {
                    // Published tables name every marginal "Total": a category of that name would be ambiguous.
                    _errors.Add(node, PolicyErrorCodes.InvalidValue, $"'{value}' is reserved for marginal totals and cannot be a value of dimension '{name}'");
                    valid = false;
                }

                if (geo is not null && dim.Has("values"))
                {
                    _errors.Add(dim.KeyNode("values")!, PolicyErrorCodes.Contradiction, $"geographic dimension '{name}' takes its values from the territory; remove 'values'");
                    valid = false;
                }

                if (name is not null && (dimensions.Any(d => d.Name == name) || unread.Contains(name)))
                {
                    _errors.Add(dim.Get("name")!, PolicyErrorCodes.DuplicateId, $"dimension '{name}' is declared twice in {context}");
                    continue;
                }

                if (!valid)
                {
                    if (YamlMap.Peek(dimNode, "name") is { } written)
                    {
                        unread.Add(written);
                    }

                    continue;
                }

                dimensions.Add(new DimensionDeclaration { Name = name!, Label = label, Geo = geo, Values = values });
            }

            var measures = new List<MeasureDeclaration>();
            foreach (var measureNode in map.List("measures"))
            {
                var measureName = YamlMap.Peek(measureNode, "name") is { } n && Identifiers.IsValidColumnName(n) ? n : null;
                if (YamlMap.From(_errors, measureNode, measureName is null ? $"a measure of {context}" : $"measure '{measureName}' of {context}", "name", "kind", "unit") is not { } measure)
                {
                    continue;
                }

                var name = ColumnName(measure, "name");
                var kind = measure.Enum<MeasureKind>("kind", WireNames.TryParse);
                var unit = measure.String("unit", required: false);
                if (name is not null && (measures.Any(m => m.Name == name) || dimensions.Any(d => d.Name == name) || unread.Contains(name)))
                {
                    _errors.Add(measure.Get("name")!, PolicyErrorCodes.DuplicateId, $"'{name}' is declared twice in {context}");
                    continue;
                }

                if (name is null || kind is null)
                {
                    if (YamlMap.Peek(measureNode, "name") is { } written)
                    {
                        unread.Add(written);
                    }

                    continue;
                }

                measures.Add(new MeasureDeclaration(name, kind.Value, unit));
            }

            if (id is not null && !_datasetIds.Add(id))
            {
                _errors.Add(map.Get("id")!, PolicyErrorCodes.DuplicateId, $"dataset '{id}' is declared twice");
                continue;
            }

            if (id is not null)
            {
                _unreadColumns[id] = unread;
                if (zoning is null)
                {
                    _datasetsWithInvalidZoning.Add(id);
                }
            }

            if (provider is not null)
            {
                var providerNode = map.Get("provider")!;
                _checks.Add(_ => CheckSignatory(provider, providerNode, $"the provider of {context}"));
            }

            if (id is not null && provider is not null && title is not null && zoning is not null)
            {
                // A dataset with an unreadable dimension or measure is kept, so that its clauses are still checked
                // against what could be read; the file has an error anyway.
                list.Add(new DatasetDeclaration { Id = id, Provider = provider, Title = title, Zoning = zoning.Value, Dimensions = dimensions, Measures = measures });
            }
        }

        return list;
    }

    private string? ColumnName(YamlMap map, string key)
    {
        var text = map.String(key);
        if (text is not null && !Identifiers.IsValidColumnName(text))
        {
            _errors.Add(map.Get(key)!, PolicyErrorCodes.InvalidValue, $"'{key}' in {map.Context} must be a column name (a lowercase letter, then lowercase letters, digits or '_', at most 63 characters), not '{text}'");
            return null;
        }

        return text;
    }

    private List<Clause> ReadClauses(IReadOnlyList<YamlNode> items)
    {
        var list = new List<Clause>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var clause = ReadClause(item, "a clause");
            var peeked = PeekId(item);
            if (peeked is not null && !seen.Add(peeked))
            {
                _errors.Add(((YamlMappingNode)item).Children[new YamlScalarNode("id")], PolicyErrorCodes.DuplicateId, $"clause '{peeked}' is declared twice");
                continue;
            }

            if (clause is null)
            {
                // Known but invalid: amendments to it are not reported again as unknown references.
                if (YamlMap.Peek(item, "id") is { } invalidId)
                {
                    _invalidClauses.Add(invalidId);
                }

                continue;
            }

            _clauseNodes[clause.Id] = (YamlMappingNode)item;
            list.Add(clause);
        }

        return list;
    }

    private Clause? ReadClause(YamlNode node, string unnamed)
    {
        // The context names the clause by id when it has one, so that a clause read again through an
        // amendment reports the same messages (and duplicates collapse).
        var peekedId = PeekId(node);
        var context = peekedId is null ? unnamed : $"clause '{peekedId}'";
        if (YamlMap.From(_errors, node, context, ClauseKeys) is not { } map)
        {
            return null;
        }

        var id = map.Id("id");
        var title = map.String("title", required: false);
        var provider = map.Id("provider");
        var dataset = map.Id("dataset");
        var recipients = map.Required("recipients") is { } r ? ReadRecipients(r, context) : (null, []);
        var purposes = map.Scalars("purposes");
        var dimensions = map.Scalars("dimensions", ids: false);
        var measures = map.Scalars("measures", ids: false);
        var geography = ReadGeography(map, context);
        var (disclosure, sumRuleNode) = map.Required("disclosure") is { } d ? ReadDisclosure(d, context) : (null, null);
        var (retention, retentionNode) = map.Get("retention") is { } ret ? ReadRetention(ret, context) : (null, null);
        var approval = map.Has("approval") ? map.Enum<ApprovalMode>("approval", WireNames.TryParse) : ApprovalMode.Steward;
        var publication = map.Get("publication") is { } pub ? ReadPublication(pub, context) : null;
        var legalBasis = map.String("legalBasis");
        if (geography.Zoning == Zoning.Qpv2015)
        {
            _anyQpv2015Clause = true;
        }

        // References are checked even when the clause is incomplete, so that every problem shows at once.
        var parts = new ClauseParts(context, provider, map.Get("provider"), dataset, map.Get("dataset"), recipients.OrganisationNodes,
            purposes, dimensions, measures, geography.Finest, geography.Zoning, geography.ZoningNode ?? map.Get("geography"), retention, retentionNode, sumRuleNode);
        _checks.Add(contract => CheckClause(contract, parts));

        if (id is null || provider is null || dataset is null || recipients.Recipients is null || geography.Finest is null || geography.Zoning is null
            || disclosure is null || legalBasis is null || approval is null
            || (map.Has("retention") && retention is null) || (map.Has("publication") && publication is null))
        {
            return null;
        }

        return new Clause
        {
            Id = id,
            Title = title,
            Provider = provider,
            Dataset = dataset,
            Recipients = recipients.Recipients,
            Purposes = purposes.Select(p => p.Value).ToList(),
            Dimensions = dimensions.Select(p => p.Value).ToList(),
            Measures = measures.Select(p => p.Value).ToList(),
            FinestGeography = geography.Finest.Value,
            Zoning = geography.Zoning.Value,
            Disclosure = disclosure,
            Retention = retention,
            Approval = approval.Value,
            Publication = publication,
            LegalBasis = legalBasis,
        };
    }

    /// <summary>
    /// What could be read of a clause, with the nodes its references come from; <c>Context</c> is how messages name
    /// the clause ("clause 'caf-foyers-qpv'").
    /// </summary>
    private sealed record ClauseParts(
        string Context,
        string? Provider,
        YamlNode? ProviderNode,
        string? Dataset,
        YamlNode? DatasetNode,
        IReadOnlyList<(string Value, YamlNode Node)> Organisations,
        IReadOnlyList<(string Value, YamlNode Node)> Purposes,
        IReadOnlyList<(string Value, YamlNode Node)> Dimensions,
        IReadOnlyList<(string Value, YamlNode Node)> Measures,
        GeoLevel? Finest,
        Zoning? Zoning,
        YamlNode? ZoningNode,
        RetentionRule? Retention,
        YamlNode? RetentionNode,
        YamlNode? SumRuleNode);

    /// <summary>The recipients (null when invalid) and the organisations they name, which are checked in any case.</summary>
    private (Recipients? Recipients, IReadOnlyList<(string Value, YamlNode Node)> OrganisationNodes) ReadRecipients(YamlNode node, string context)
    {
        if (YamlMap.From(_errors, node, $"the recipients of {context}", "organisations", "kinds", "roles") is not { } map)
        {
            return (null, []);
        }

        var organisations = map.Scalars("organisations", required: false);
        var kinds = new List<OrganisationKind>();
        var valid = true;
        foreach (var item in map.List("kinds", required: false))
        {
            if (map.EnumValue<OrganisationKind>(item, WireNames.TryParse, $"a recipient kind of {context}") is { } kind)
            {
                kinds.Add(kind);
            }
            else
            {
                valid = false;
            }
        }

        List<string> roles = ["analyst"];
        if (map.Has("roles"))
        {
            roles = [];
            foreach (var (role, roleNode) in map.Scalars("roles"))
            {
                if (role is not ("analyst" or "steward" or "dpo" or "publisher" or "admin"))
                {
                    _errors.Add(roleNode, PolicyErrorCodes.InvalidValue, $"a recipient role of {context} must be one of: admin, analyst, dpo, publisher, steward, not '{role}'");
                    valid = false;
                    continue;
                }

                roles.Add(role);
            }
        }

        // Only when neither list says anything: a list that is there but wrong is reported as such.
        if (map.Get("organisations") is null or YamlSequenceNode { Children.Count: 0 } && map.Get("kinds") is null or YamlSequenceNode { Children.Count: 0 })
        {
            _errors.Add(node, PolicyErrorCodes.MissingKey, $"the recipients of {context} name no organisation and no kind: add 'organisations' or 'kinds'");
            valid = false;
        }

        return (valid ? new Recipients { Organisations = organisations.Select(o => o.Value).ToList(), Kinds = kinds, Roles = roles } : null, organisations);
    }

    private (GeoLevel? Finest, Zoning? Zoning, YamlNode? ZoningNode) ReadGeography(YamlMap clause, string context)
    {
        if (clause.Required("geography") is not { } node || YamlMap.From(_errors, node, $"the geography of {context}", "finest", "zoning") is not { } map)
        {
            return (null, null, null);
        }

        var finest = map.Enum<GeoLevel>("finest", WireNames.TryParse);
        var zoning = map.Has("zoning") ? map.Enum<Zoning>("zoning", WireNames.TryParse) : Zoning.Qpv2024;
        return (finest, zoning, map.Get("zoning"));
    }

    private (DisclosureRules? Rules, YamlNode? SumRuleNode) ReadDisclosure(YamlNode node, string context)
    {
        if (YamlMap.From(_errors, node, $"the disclosure rules of {context}", "minCount", "dominance", "pPercent", "rounding", "secondarySuppression", "protectZeros", "publicTotal", "protectionLevel", "protectionPercent") is not { } map)
        {
            return (null, null);
        }

        var valid = true;
        var minCount = map.Integer("minCount", 1, 1000, code: PolicyErrorCodes.InvalidThreshold);
        DominanceRule? dominance = null;
        if (map.Get("dominance") is { } dominanceNode)
        {
            if (YamlMap.From(_errors, dominanceNode, $"the dominance rule of {context}", "n", "k") is { } dom)
            {
                var n = dom.Integer("n", 1, 10, code: PolicyErrorCodes.InvalidThreshold);
                var k = dom.Number("k", 1, 100, code: PolicyErrorCodes.InvalidThreshold);
                dominance = n is null || k is null ? null : new DominanceRule(n.Value, k.Value);
            }

            valid &= dominance is not null;
        }

        var pPercent = map.Number("pPercent", 1, 100, required: false, code: PolicyErrorCodes.InvalidThreshold);
        valid &= pPercent is not null || !map.Has("pPercent");
        var rounding = map.Has("rounding") ? map.Enum<RoundingMode>("rounding", WireNames.TryParse) : RoundingMode.None;
        var secondary = map.Boolean("secondarySuppression");
        var zeros = map.Boolean("protectZeros");
        var publicTotal = map.Boolean("publicTotal");

        // The attacker's range of a primary cell must be at least this wide (docs/adr/0004); absent: the library's default.
        var protectionLevel = map.Integer("protectionLevel", 1, 1000, required: false, code: PolicyErrorCodes.InvalidThreshold);
        var protectionPercent = map.Number("protectionPercent", 0, 100, required: false, code: PolicyErrorCodes.InvalidThreshold);
        valid &= (protectionLevel is not null || !map.Has("protectionLevel")) && (protectionPercent is not null || !map.Has("protectionPercent"));
        valid &= minCount is not null && rounding is not null
            && (secondary is not null || !map.Has("secondarySuppression"))
            && (zeros is not null || !map.Has("protectZeros"))
            && (publicTotal is not null || !map.Has("publicTotal"));

        // The node a "no sum measure" contradiction points at: the sum rule that has nothing to apply to.
        var sumRuleNode = dominance is not null ? map.KeyNode("dominance") : pPercent is not null ? map.KeyNode("pPercent") : null;
        return (valid ? new DisclosureRules
        {
            MinCount = minCount!.Value,
            Dominance = dominance,
            PPercent = pPercent,
            Rounding = rounding!.Value,
            SecondarySuppression = secondary ?? true,
            ProtectZeros = zeros ?? false,
            PublicTotal = publicTotal ?? false,
            ProtectionLevel = protectionLevel,
            ProtectionPercent = protectionPercent,
        } : null, sumRuleNode);
    }

    private (RetentionRule? Rule, YamlNode? MaxNode) ReadRetention(YamlNode node, string context)
    {
        if (YamlMap.From(_errors, node, $"the retention of {context}", "max", "atEnd") is not { } map)
        {
            return (null, null);
        }

        var max = map.Duration("max");
        var atEnd = map.Enum<RetentionEnd>("atEnd", WireNames.TryParse);
        return max is null || atEnd is null ? (null, null) : (new RetentionRule(max.Value, atEnd.Value), map.Get("max"));
    }

    private PublicationCommitment? ReadPublication(YamlNode node, string context)
    {
        if (YamlMap.From(_errors, node, $"the publication commitment of {context}", "frequency", "format", "tier", "delay") is not { } map)
        {
            return null;
        }

        var frequency = map.Duration("frequency");
        var format = map.String("format");
        if (format is not null && format is not ("csv" or "json" or "parquet" or "xlsx"))
        {
            _errors.Add(map.Get("format")!, PolicyErrorCodes.InvalidValue, $"'format' in {map.Context} must be one of: csv, json, parquet, xlsx, not '{format}'");
            format = null;
        }

        var tier = map.Enum<Tier>("tier", WireNames.TryParse);
        var delay = map.Duration("delay", required: false);
        return frequency is null || format is null || tier is null ? null : new PublicationCommitment(frequency.Value, format, tier.Value, delay);
    }

    private List<(Amendment Amendment, YamlMap Map)> ReadAmendments(YamlMap root)
    {
        // Amendments replay in order over the clauses' YAML: a 'modify' merges its 'set' keys into the
        // clause as it reads at that point, and the merged clause is read and checked by the same code.
        var current = new Dictionary<string, YamlMappingNode>(_clauseNodes, StringComparer.Ordinal);
        var list = new List<(Amendment, YamlMap)>();
        var seen = new HashSet<int>();
        foreach (var item in root.List("amendments", required: false))
        {
            var peeked = YamlMap.Peek(item, "number") is { } p && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? $"amendment {n}" : "an amendment";
            if (YamlMap.From(_errors, item, peeked, "number", "title", "signed", "effective", "changes") is not { } map)
            {
                continue;
            }

            var number = map.Integer("number", 1, 999);
            var context = number is null ? "an amendment" : $"amendment {number}";
            var title = map.String("title", required: false);
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

            if (number is not null && !seen.Add(number.Value))
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

            // Kept even when a change or the title is invalid, so that its dates are still checked (the file has an
            // error anyway and is refused).
            if (number is not null && signed is not null && effective is not null)
            {
                list.Add((new Amendment { Number = number.Value, Title = title, Signed = signed.Value, Effective = effective.Value, Changes = changes }, map));
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
        if (verbs.Count == 0)
        {
            // A misspelt verb is already reported as an unknown key.
            if (!map.HasUnknownKeys)
            {
                _errors.Add(node, PolicyErrorCodes.MissingKey, $"a change of {context} must have one of 'add', 'modify' or 'remove'");
            }

            return null;
        }

        if (verbs.Count > 1)
        {
            _errors.Add(map.KeyNode(verbs[1])!, PolicyErrorCodes.InvalidValue, $"a change of {context} must have exactly one of 'add', 'modify' or 'remove', not {string.Join(" and ", verbs.Select(v => $"'{v}'"))}; write one change per verb");
            return null;
        }

        if (verbs[0] != "modify" && map.Has("set"))
        {
            _errors.Add(map.KeyNode("set")!, PolicyErrorCodes.UnknownKey, $"'set' goes with 'modify', not with '{verbs[0]}'");
            return null;
        }

        switch (verbs[0])
        {
            case "add":
                var addNode = map.Get("add")!;
                var added = ReadClause(addNode, $"the clause {context} adds");
                if (added is null)
                {
                    if (YamlMap.Peek(addNode, "id") is { } invalidId)
                    {
                        _invalidClauses.Add(invalidId);
                    }

                    return null;
                }

                if (current.ContainsKey(added.Id) || _invalidClauses.Contains(added.Id))
                {
                    _errors.Add(((YamlMappingNode)addNode).Children[new YamlScalarNode("id")], PolicyErrorCodes.DuplicateId, $"{context} adds clause '{added.Id}', which already exists at that point; use 'modify' to change it");
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
                    if (!_invalidClauses.Contains(removed))
                    {
                        _errors.Add(map.Get("remove")!, PolicyErrorCodes.UnknownReference, $"{context} removes clause '{removed}', which does not exist at that point");
                    }

                    return null;
                }

                return new ClauseChange(ClauseChangeKind.Remove, removed, null);

            default:
                // 'set' is checked even when the target is unknown: its own mistakes are separate ones.
                var target = map.Id("modify");
                var set = map.Required("set") is { } setNode ? YamlMap.From(_errors, setNode, $"'set' of {context}", ClauseKeys) : null;
                var valid = set is not null;
                foreach (var key in set?.Node.Children.Keys ?? [])
                {
                    if (key is YamlScalarNode { Value: "id" or "provider" or "dataset" } fixedKey)
                    {
                        var which = target is null ? "the clause" : $"clause '{target}'";
                        _errors.Add(key, PolicyErrorCodes.InvalidValue, $"{context} cannot change the {fixedKey.Value} of {which}; remove the clause and add a new one instead");
                        valid = false;
                    }
                }

                if (target is null)
                {
                    return null;
                }

                if (!current.TryGetValue(target, out var original))
                {
                    if (!_invalidClauses.Contains(target))
                    {
                        _errors.Add(map.Get("modify")!, PolicyErrorCodes.UnknownReference, $"{context} modifies clause '{target}', which does not exist at that point");
                    }

                    return null;
                }

                if (!valid)
                {
                    return null;
                }

                var merged = new YamlMappingNode(original.Children);
                foreach (var (key, value) in set!.Node.Children)
                {
                    merged.Children[key] = value;
                }

                var clause = ReadClause(merged, $"the clause {context} modifies");
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
            _checks.Add(_ => CheckSignatory(member, memberNode, "a steering committee member"));
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
            _checks.Add(_ =>
            {
                if (_period is { } period && (reviewDate < period.Start || reviewDate > period.End))
                {
                    _errors.Add(reviewNode, PolicyErrorCodes.InvalidPeriod, $"the review date {reviewDate:yyyy-MM-dd} is outside the contract period {period.Start:yyyy-MM-dd} – {period.End:yyyy-MM-dd}");
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

    /// <summary>Reports a reference to an organisation that is not a signatory; true when it is one.</summary>
    private bool CheckSignatory(string id, YamlNode node, string what)
    {
        if (_signatoryIds.Contains(id))
        {
            return true;
        }

        _errors.Add(node, PolicyErrorCodes.UnknownReference, $"{what} is '{id}', which is not a signatory of the contract");
        return false;
    }

    private void CheckClause(Contract contract, ClauseParts clause)
    {
        var context = clause.Context;
        var providerKnown = clause.Provider is not null && clause.ProviderNode is not null
            && CheckSignatory(clause.Provider, clause.ProviderNode, $"the provider of {context}");

        foreach (var (organisation, node) in clause.Organisations)
        {
            CheckSignatory(organisation, node, $"a recipient of {context}");
        }

        foreach (var (purpose, node) in clause.Purposes)
        {
            if (_prohibitedIds.Contains(purpose))
            {
                // A purpose both permitted and prohibited is reported once, where it is prohibited.
                if (!_purposeIds.Contains(purpose))
                {
                    _errors.Add(node, PolicyErrorCodes.ProhibitedPurposeGranted, $"{context} grants '{purpose}', a purpose the contract prohibits");
                }
            }
            else if (!_purposeIds.Contains(purpose))
            {
                _errors.Add(node, PolicyErrorCodes.UnknownReference, $"{context} grants purpose '{purpose}', which the contract does not declare in 'purposes'");
            }
        }

        if (clause.Retention is { } retention && clause.RetentionNode is not null && _period is { } period
            && retention.Max.AddTo(period.Start) > period.End.AddDays(1))
        {
            _errors.Add(clause.RetentionNode, PolicyErrorCodes.RetentionExceedsContract, $"{context} allows a retention of {retention.Max}, longer than the contract itself ({period.Start:yyyy-MM-dd} – {period.End:yyyy-MM-dd})");
        }

        if (clause.Dataset is null || clause.DatasetNode is null)
        {
            return;
        }

        var dataset = contract.FindDataset(clause.Dataset);
        if (dataset is null)
        {
            if (!_datasetIds.Contains(clause.Dataset))
            {
                _errors.Add(clause.DatasetNode, PolicyErrorCodes.UnknownReference, $"{context} names dataset '{clause.Dataset}', which the contract does not declare");
            }

            return;
        }

        if (providerKnown && dataset.Provider != clause.Provider)
        {
            _errors.Add(clause.ProviderNode!, PolicyErrorCodes.Contradiction, $"{context} is provided by '{clause.Provider}' but dataset '{dataset.Id}' belongs to '{dataset.Provider}'");
        }

        var unread = _unreadColumns.GetValueOrDefault(dataset.Id) ?? [];
        foreach (var (dimension, node) in clause.Dimensions)
        {
            var declared = dataset.FindDimension(dimension);
            if (declared is null)
            {
                if (!unread.Contains(dimension))
                {
                    _errors.Add(node, PolicyErrorCodes.UnknownReference, $"{context} allows dimension '{dimension}', which dataset '{dataset.Id}' does not declare");
                }
            }
            else if (declared.Geo is { } level && clause.Finest is { } finest && level < finest)
            {
                _errors.Add(node, PolicyErrorCodes.Contradiction, $"{context} allows dimension '{dimension}' ({level.ToWire()}), finer than its finest geography ({finest.ToWire()})");
            }
        }

        foreach (var (measure, node) in clause.Measures)
        {
            if (!dataset.Measures.Any(m => m.Name == measure) && !unread.Contains(measure))
            {
                _errors.Add(node, PolicyErrorCodes.UnknownReference, $"{context} allows measure '{measure}', which dataset '{dataset.Id}' does not declare");
            }
        }

        if (clause.Zoning is { } zoning && clause.ZoningNode is not null && dataset.Zoning != zoning && !_datasetsWithInvalidZoning.Contains(dataset.Id))
        {
            _errors.Add(clause.ZoningNode, PolicyErrorCodes.ZoningMismatch, $"{context} is in the {zoning.ToWire()} zoning but dataset '{dataset.Id}' is in {dataset.Zoning.ToWire()}; the two are never mixed");
        }

        // A sum rule needs a sum measure; when a measure could not be resolved, that error says enough.
        if (clause.SumRuleNode is not null
            && clause.Measures.All(m => dataset.Measures.Any(d => d.Name == m.Value))
            && !clause.Measures.Any(m => dataset.Measures.Any(d => d.Name == m.Value && d.Kind == MeasureKind.Sum)))
        {
            _errors.Add(clause.SumRuleNode, PolicyErrorCodes.Contradiction, $"{context} sets a dominance or p% rule but allows no sum measure for it to apply to; allow a sum measure or remove the rule");
        }
    }
}
