using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DataClauses.Policy.Model;

namespace DataClauses.Policy.Odrl;

/// <summary>
/// Exports contracts as ODRL 2.2 JSON-LD so that dataspace connectors can read them.
/// </summary>
/// <remarks>
/// <para>
/// The document is one JSON-LD graph. Each contract becomes one <c>odrl:Set</c> policy whose uid is
/// <see cref="ContractUid"/>, followed by the nodes its rules refer to: the signatories (parties, each
/// <c>partOf</c> the collection of its organisation kind), the kinds (party collections), the datasets
/// (assets, <c>partOf</c> the contract's asset collection) and the purposes (<c>dpv:Purpose</c>, narrower
/// than the DPV purpose the contract maps them to).
/// </para>
/// <para>
/// Every version of a clause is its own permission, in force between two <c>dateTime</c> bounds (both
/// inclusive days): the clause as signed from the contract's start, and each amendment's added or modified
/// clause from the amendment's effective date, each until the day before the next change of that clause or
/// the contract's last day (see <see cref="ClauseVersions"/>). A permission lets its recipients
/// (<c>assignee</c>, a party collection of organisations and kinds refined by role) <c>use</c> the dataset
/// (<c>target</c>) of its provider (<c>assigner</c>) for any of the clause's purposes, and carries the
/// clause's obligations as duties: disclosure control (<c>dc:applyDisclosureControl</c> refined by the
/// thresholds), deletion or anonymisation of extracts within the retention (<c>elapsedTime</c>), the
/// stewards' approval of extracts (<c>obtainConsent</c>) and audit (<c>inform</c> the provider). Each
/// prohibited purpose becomes a prohibition to <c>use</c> any of the contract's datasets for it, and each
/// publication commitment an obligation of the provider to <c>distribute</c> the dataset at its frequency
/// (<c>timeInterval</c>).
/// </para>
/// </remarks>
public static class OdrlExporter
{
    /// <summary>The ODRL 2.2 JSON-LD context.</summary>
    public const string OdrlContext = "http://www.w3.org/ns/odrl.jsonld";

    /// <summary>
    /// The namespace of the DataClauses terms the ODRL vocabulary lacks (prefix <c>dc</c>): disclosure
    /// control, geographic levels, approvals. A placeholder until a persistent namespace is registered.
    /// </summary>
    public const string Namespace = "https://dataclauses.example/ns#";

    /// <summary>The ODRL profile the policies declare, since they use <see cref="Namespace"/> terms.</summary>
    public const string Profile = "https://dataclauses.example/ns/odrl-profile";

    /// <summary>The Data Privacy Vocabulary namespace (prefix <c>dpv</c>).</summary>
    public const string DpvNamespace = "https://w3id.org/dpv#";

    private const string UidPrefix = "urn:dataclauses:";

    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The contracts as one ODRL JSON-LD document (a policy per contract).</summary>
    /// <param name="contracts">Validated contracts.</param>
    /// <returns>The indented JSON-LD text.</returns>
    public static string ToJsonLd(IReadOnlyList<Contract> contracts)
    {
        ArgumentNullException.ThrowIfNull(contracts);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            writer.WriteStartObject();
            WriteContext(writer);
            writer.WriteStartArray("@graph");
            foreach (var contract in contracts)
            {
                if (contract is null)
                {
                    throw new ArgumentException("The list holds a null contract.", nameof(contracts));
                }

                WritePolicy(writer, contract);
                WriteNodes(writer, contract);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Every version of every clause with the days it is in force: the clauses as signed from the contract's
    /// start, then each amendment's added or modified clauses from its effective date; each version ends the
    /// day before the next amendment that modifies or removes the clause, or on the contract's last day.
    /// Versions that never apply (replaced on the day they start) are left out.
    /// </summary>
    /// <param name="contract">A validated contract.</param>
    /// <returns>The versions, signed clauses first, then by amendment.</returns>
    public static IReadOnlyList<ClauseVersion> ClauseVersions(Contract contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        var versions = new List<(Clause Clause, int Amendment, DateOnly Start)>();
        var ends = new List<DateOnly>();
        var current = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var clause in contract.Clauses)
        {
            current[clause.Id] = versions.Count;
            versions.Add((clause, 0, contract.Start));
            ends.Add(contract.End);
        }

        foreach (var amendment in contract.Amendments.OrderBy(a => a.Number))
        {
            foreach (var change in amendment.Changes)
            {
                if (current.Remove(change.ClauseId, out var index))
                {
                    ends[index] = amendment.Effective.AddDays(-1);
                }

                if (change.Kind != ClauseChangeKind.Remove && change.Clause is { } clause)
                {
                    current[change.ClauseId] = versions.Count;
                    versions.Add((clause with { Amendment = amendment.Number }, amendment.Number, amendment.Effective));
                    ends.Add(contract.End);
                }
            }
        }

        return versions
            .Select((v, i) => new ClauseVersion(v.Clause, v.Amendment, v.Start, ends[i]))
            .Where(v => v.End >= v.Start)
            .ToList();
    }

    /// <summary>The uid of a contract's policy, e.g. <c>urn:dataclauses:cdv-demo-2024-2030</c>.</summary>
    /// <param name="contractId">The contract id.</param>
    public static string ContractUid(string contractId) => UidPrefix + contractId;

    /// <summary>
    /// The uid of the permission for one version of a clause: <c>…:clause:ID</c> as signed,
    /// <c>…:clause:ID:amendment:N</c> as amendment N reads it.
    /// </summary>
    /// <param name="contractId">The contract id.</param>
    /// <param name="clauseId">The clause id.</param>
    /// <param name="amendment">The amendment that produced the version (0 = as signed).</param>
    public static string ClauseUid(string contractId, string clauseId, int amendment) => amendment == 0
        ? $"{ContractUid(contractId)}:clause:{clauseId}"
        : string.Create(CultureInfo.InvariantCulture, $"{ContractUid(contractId)}:clause:{clauseId}:amendment:{amendment}");

    /// <summary>The uid of a signatory of a contract.</summary>
    /// <param name="contractId">The contract id.</param>
    /// <param name="organisationId">The signatory id.</param>
    public static string PartyUid(string contractId, string organisationId) => $"{ContractUid(contractId)}:party:{organisationId}";

    /// <summary>The uid of the party collection of a contract's signatories of one kind.</summary>
    /// <param name="contractId">The contract id.</param>
    /// <param name="kind">The organisation kind.</param>
    public static string KindUid(string contractId, OrganisationKind kind) => $"{ContractUid(contractId)}:kind:{kind.ToWire()}";

    /// <summary>The uid of a dataset of a contract.</summary>
    /// <param name="contractId">The contract id.</param>
    /// <param name="datasetId">The dataset id.</param>
    public static string DatasetUid(string contractId, string datasetId) => $"{ContractUid(contractId)}:dataset:{datasetId}";

    /// <summary>The uid of the asset collection of all a contract's datasets (the target of its prohibitions).</summary>
    /// <param name="contractId">The contract id.</param>
    public static string DatasetsUid(string contractId) => $"{ContractUid(contractId)}:datasets";

    /// <summary>The uid of a purpose (permitted or prohibited) of a contract.</summary>
    /// <param name="contractId">The contract id.</param>
    /// <param name="purposeId">The purpose id.</param>
    public static string PurposeUid(string contractId, string purposeId) => $"{ContractUid(contractId)}:purpose:{purposeId}";

    private static void WriteContext(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("@context");
        writer.WriteStringValue(OdrlContext);
        writer.WriteStartObject();
        writer.WriteString("dc", Namespace);
        writer.WriteString("dct", "http://purl.org/dc/terms/");
        writer.WriteString("dpv", DpvNamespace);
        writer.WriteString("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#");
        writer.WriteString("skos", "http://www.w3.org/2004/02/skos/core#");
        writer.WriteString("vcard", "http://www.w3.org/2006/vcard/ns#");
        writer.WriteString("xsd", "http://www.w3.org/2001/XMLSchema#");
        writer.WriteEndObject();
        writer.WriteEndArray();
    }

    private static void WritePolicy(Utf8JsonWriter writer, Contract contract)
    {
        writer.WriteStartObject();
        writer.WriteString("uid", ContractUid(contract.Id));
        writer.WriteString("@type", "Set");
        writer.WriteString("profile", Profile);
        writer.WriteString("dct:identifier", contract.Id);
        writer.WriteString("dct:title", contract.Title);
        writer.WritePropertyName("dc:start");
        WriteDate(writer, contract.Start);
        writer.WritePropertyName("dc:end");
        WriteDate(writer, contract.End);

        var versions = ClauseVersions(contract);
        writer.WriteStartArray("permission");
        foreach (var version in versions)
        {
            WritePermission(writer, contract, version);
        }

        writer.WriteEndArray();

        if (contract.ProhibitedPurposes.Count > 0)
        {
            writer.WriteStartArray("prohibition");
            foreach (var purpose in contract.ProhibitedPurposes)
            {
                writer.WriteStartObject();
                writer.WriteString("uid", $"{ContractUid(contract.Id)}:prohibition:{purpose.Id}");
                writer.WriteString("target", DatasetsUid(contract.Id));
                writer.WriteString("action", "use");
                writer.WriteStartArray("constraint");
                StartConstraint(writer, "purpose", "eq");
                WriteId(writer, PurposeUid(contract.Id, purpose.Id));
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (versions.Any(v => v.Clause.Publication is not null))
        {
            writer.WriteStartArray("obligation");
            foreach (var version in versions)
            {
                if (version.Clause.Publication is { } publication)
                {
                    WritePublication(writer, contract, version, publication);
                }
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WritePermission(Utf8JsonWriter writer, Contract contract, ClauseVersion version)
    {
        var clause = version.Clause;
        var uid = ClauseUid(contract.Id, clause.Id, version.Amendment);
        var provider = PartyUid(contract.Id, clause.Provider);
        writer.WriteStartObject();
        writer.WriteString("uid", uid);
        writer.WriteString("dc:clause", clause.Id);
        writer.WriteNumber("dc:amendment", version.Amendment);
        if (clause.Title is not null)
        {
            writer.WriteString("dct:title", clause.Title);
        }

        writer.WriteString("dc:legalBasis", clause.LegalBasis);
        writer.WriteString("target", DatasetUid(contract.Id, clause.Dataset));
        writer.WriteString("assigner", provider);

        // One assignee: the clause's recipients, as a collection of organisations and kinds refined by role.
        writer.WriteStartObject("assignee");
        writer.WriteString("uid", uid + ":recipients");
        writer.WriteString("@type", "PartyCollection");
        writer.WriteStartArray("dc:member");
        foreach (var organisation in clause.Recipients.Organisations)
        {
            WriteId(writer, PartyUid(contract.Id, organisation));
        }

        foreach (var kind in clause.Recipients.Kinds)
        {
            WriteId(writer, KindUid(contract.Id, kind));
        }

        writer.WriteEndArray();
        writer.WriteStartArray("refinement");
        StartConstraint(writer, "dc:role", "isAnyOf");
        WriteStrings(writer, clause.Recipients.Roles);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();

        writer.WriteString("action", "use");

        writer.WriteStartArray("constraint");
        StartConstraint(writer, "purpose", "isAnyOf");
        writer.WriteStartArray();
        foreach (var purpose in clause.Purposes)
        {
            WriteId(writer, PurposeUid(contract.Id, purpose));
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        WritePeriod(writer, version.Start, version.End);
        StartConstraint(writer, "dc:geographicLevel", "isAnyOf");
        WriteStrings(writer, Enum.GetValues<GeoLevel>().Where(l => l >= clause.FinestGeography).Select(l => l.ToWire()));
        writer.WriteEndObject();
        StartConstraint(writer, "dc:zoning", "eq");
        writer.WriteStringValue(clause.Zoning.ToWire());
        writer.WriteEndObject();
        StartConstraint(writer, "dc:dimension", "isAnyOf");
        WriteStrings(writer, clause.Dimensions);
        writer.WriteEndObject();
        StartConstraint(writer, "dc:measure", "isAnyOf");
        WriteStrings(writer, clause.Measures);
        writer.WriteEndObject();
        writer.WriteEndArray();

        writer.WriteStartArray("duty");
        WriteDisclosureDuty(writer, clause.Disclosure);
        if (clause.Retention is { } retention)
        {
            WriteRetentionDuty(writer, contract, retention);
        }

        if (clause.Approval != ApprovalMode.Automatic)
        {
            writer.WriteStartObject();
            writer.WriteString("dc:appliesTo", "extract");
            writer.WriteString("dc:approval", clause.Approval.ToWire());
            writer.WriteStartArray("action");
            writer.WriteStartObject();
            writer.WritePropertyName("rdf:value");
            WriteId(writer, "odrl:obtainConsent");
            writer.WriteStartArray("refinement");
            StartConstraint(writer, "dc:distinctApprovals", "gteq");
            writer.WriteNumberValue(clause.Approval == ApprovalMode.FourEyes ? 2 : 1);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WritePropertyName("consentingParty");
            WriteId(writer, provider);
            writer.WriteEndObject();
        }

        // Every access is audited: the provider is informed through the audit log.
        writer.WriteStartObject();
        writer.WriteString("action", "inform");
        writer.WritePropertyName("informedParty");
        WriteId(writer, provider);
        writer.WriteEndObject();
        writer.WriteEndArray();

        writer.WriteEndObject();
    }

    private static void WriteDisclosureDuty(Utf8JsonWriter writer, DisclosureRules rules)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("action");
        writer.WriteStartObject();
        writer.WritePropertyName("rdf:value");
        WriteId(writer, "dc:applyDisclosureControl");
        writer.WriteStartArray("refinement");
        StartConstraint(writer, "dc:minCount", "gteq");
        writer.WriteNumberValue(rules.MinCount);
        writer.WriteEndObject();
        if (rules.Dominance is { } dominance)
        {
            // A cell is published only when its n largest contributors make at most k% of it.
            StartConstraint(writer, "dc:dominanceContributors", "eq");
            writer.WriteNumberValue(dominance.N);
            writer.WriteEndObject();
            StartConstraint(writer, "dc:dominanceShare", "lteq");
            writer.WriteNumberValue(dominance.K);
            writer.WriteEndObject();
        }

        if (rules.PPercent is { } p)
        {
            StartConstraint(writer, "dc:pPercent", "gteq");
            writer.WriteNumberValue(p);
            writer.WriteEndObject();
        }

        StartConstraint(writer, "dc:rounding", "eq");
        writer.WriteStringValue(rules.Rounding.ToWire());
        writer.WriteEndObject();
        StartConstraint(writer, "dc:secondarySuppression", "eq");
        writer.WriteBooleanValue(rules.SecondarySuppression);
        writer.WriteEndObject();
        StartConstraint(writer, "dc:protectZeros", "eq");
        writer.WriteBooleanValue(rules.ProtectZeros);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteRetentionDuty(Utf8JsonWriter writer, Contract contract, RetentionRule retention)
    {
        // Extracts are deleted (or anonymised) once the retention has elapsed, and by the contract's end at the latest.
        writer.WriteStartObject();
        writer.WriteString("dc:appliesTo", "extract");
        writer.WriteString("action", retention.AtEnd == RetentionEnd.Anonymise ? "anonymize" : "delete");
        writer.WriteStartArray("constraint");
        StartConstraint(writer, "elapsedTime", "lteq");
        WriteDuration(writer, retention.Max);
        writer.WriteEndObject();
        StartConstraint(writer, "dateTime", "lteq");
        WriteDate(writer, contract.End);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WritePublication(Utf8JsonWriter writer, Contract contract, ClauseVersion version, PublicationCommitment publication)
    {
        var clause = version.Clause;
        writer.WriteStartObject();
        writer.WriteString("uid", ClauseUid(contract.Id, clause.Id, version.Amendment) + ":publication");
        writer.WriteString("dc:clause", clause.Id);
        writer.WriteString("dc:tier", publication.Tier.ToWire());
        writer.WriteString("target", DatasetUid(contract.Id, clause.Dataset));
        writer.WriteString("assignee", PartyUid(contract.Id, clause.Provider));
        writer.WriteStartArray("action");
        writer.WriteStartObject();
        writer.WritePropertyName("rdf:value");
        WriteId(writer, "odrl:distribute");
        writer.WriteStartArray("refinement");
        StartConstraint(writer, "fileFormat", "eq");
        writer.WriteStringValue(publication.Format);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteStartArray("constraint");
        StartConstraint(writer, "timeInterval", "eq");
        WriteDuration(writer, publication.Frequency);
        writer.WriteEndObject();
        WritePeriod(writer, version.Start, version.End);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The nodes a contract's rules refer to: parties, kinds, datasets, purposes.</summary>
    private static void WriteNodes(Utf8JsonWriter writer, Contract contract)
    {
        foreach (var signatory in contract.Signatories)
        {
            writer.WriteStartObject();
            writer.WriteString("uid", PartyUid(contract.Id, signatory.Id));
            writer.WriteStartArray("@type");
            writer.WriteStringValue("Party");
            writer.WriteStringValue("vcard:Organization");
            writer.WriteEndArray();
            writer.WriteString("dct:identifier", signatory.Id);
            writer.WriteString("vcard:fn", signatory.Name);
            writer.WriteString("dc:kind", signatory.Kind.ToWire());
            writer.WriteString("partOf", KindUid(contract.Id, signatory.Kind));
            writer.WriteEndObject();
        }

        var kinds = contract.Signatories.Select(s => s.Kind)
            .Concat(ClauseVersions(contract).SelectMany(v => v.Clause.Recipients.Kinds))
            .Distinct()
            .Order();
        foreach (var kind in kinds)
        {
            writer.WriteStartObject();
            writer.WriteString("uid", KindUid(contract.Id, kind));
            writer.WriteString("@type", "PartyCollection");
            writer.WriteString("dc:kind", kind.ToWire());
            writer.WriteEndObject();
        }

        writer.WriteStartObject();
        writer.WriteString("uid", DatasetsUid(contract.Id));
        writer.WriteString("@type", "AssetCollection");
        writer.WriteEndObject();
        foreach (var dataset in contract.Datasets)
        {
            writer.WriteStartObject();
            writer.WriteString("uid", DatasetUid(contract.Id, dataset.Id));
            writer.WriteString("@type", "Asset");
            writer.WriteString("dct:identifier", dataset.Id);
            writer.WriteString("dct:title", dataset.Title);
            writer.WritePropertyName("dc:provider");
            WriteId(writer, PartyUid(contract.Id, dataset.Provider));
            writer.WriteString("partOf", DatasetsUid(contract.Id));
            writer.WriteEndObject();
        }

        foreach (var (purpose, prohibited) in contract.Purposes.Select(p => (p, false)).Concat(contract.ProhibitedPurposes.Select(p => (p, true))))
        {
            writer.WriteStartObject();
            writer.WriteString("uid", PurposeUid(contract.Id, purpose.Id));
            writer.WriteString("@type", "dpv:Purpose");
            writer.WriteString("dct:identifier", purpose.Id);
            writer.WriteString("skos:prefLabel", purpose.Label);
            if (purpose.Iri is not null)
            {
                writer.WritePropertyName("skos:broader");
                WriteId(writer, purpose.Iri);
            }

            writer.WriteBoolean("dc:prohibited", prohibited);
            writer.WriteEndObject();
        }
    }

    private static void WritePeriod(Utf8JsonWriter writer, DateOnly start, DateOnly end)
    {
        StartConstraint(writer, "dateTime", "gteq");
        WriteDate(writer, start);
        writer.WriteEndObject();
        StartConstraint(writer, "dateTime", "lteq");
        WriteDate(writer, end);
        writer.WriteEndObject();
    }

    /// <summary>Opens a constraint object and writes its operands up to the right operand's name.</summary>
    private static void StartConstraint(Utf8JsonWriter writer, string leftOperand, string @operator)
    {
        writer.WriteStartObject();
        writer.WriteString("leftOperand", leftOperand);
        writer.WriteString("operator", @operator);
        writer.WritePropertyName("rightOperand");
    }

    private static void WriteId(Utf8JsonWriter writer, string iri)
    {
        writer.WriteStartObject();
        writer.WriteString("@id", iri);
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, IEnumerable<string> values)
    {
        writer.WriteStartArray();
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void WriteDate(Utf8JsonWriter writer, DateOnly date) =>
        WriteTyped(writer, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "xsd:date");

    private static void WriteDuration(Utf8JsonWriter writer, IsoDuration duration) =>
        WriteTyped(writer, duration.ToString(), "xsd:duration");

    private static void WriteTyped(Utf8JsonWriter writer, string value, string type)
    {
        writer.WriteStartObject();
        writer.WriteString("@value", value);
        writer.WriteString("@type", type);
        writer.WriteEndObject();
    }
}

/// <summary>One version of a clause and the days it is in force.</summary>
/// <param name="Clause">The clause as it reads in that version.</param>
/// <param name="Amendment">The amendment that produced it (0 = as signed).</param>
/// <param name="Start">The first day it is in force.</param>
/// <param name="End">The last day it is in force (inclusive).</param>
public sealed record ClauseVersion(Clause Clause, int Amendment, DateOnly Start, DateOnly End);
