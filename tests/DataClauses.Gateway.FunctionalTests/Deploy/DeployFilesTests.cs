using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace DataClauses.Gateway.FunctionalTests.Deploy;

/// <summary>
/// The deploy/ files, checked as far as this machine allows (no Docker engine, no helm): every YAML file parses, the
/// chart's templates parse once their actions are blanked and use only values and helpers that exist, and the
/// compose stack wires the owner and runtime roles as deploy/README.md says.
/// </summary>
public sealed partial class DeployFilesTests
{
    private static readonly string Deploy = Path.Combine(typeof(DeployFilesTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!, "deploy");

    private static readonly string Chart = Path.Combine(Deploy, "helm", "dataclauses");

    [Fact]
    public void Compose_stack_initialises_with_the_image_superuser_migrates_as_owner_and_serves_as_the_runtime_role()
    {
        var compose = Load(Path.Combine(Deploy, "compose.yaml"));
        var services = (YamlMappingNode)compose["services"];
        var postgres = (YamlMappingNode)services["postgres"];
        var postgresEnv = (YamlMappingNode)postgres["environment"];
        var superuser = Scalar(postgresEnv, "POSTGRES_USER");
        superuser.ShouldNotBe("dataclauses_owner"); // The image creates POSTGRES_USER; init.sql creates the owner.
        Scalar(postgresEnv, "DATACLAUSES_OWNER_PASSWORD").ShouldNotBeEmpty();
        Scalar(postgresEnv, "DATACLAUSES_RUNTIME_PASSWORD").ShouldNotBeEmpty();
        ((YamlSequenceNode)postgres["volumes"]).Select(v => v.ToString()).ShouldContain(v => v.StartsWith("./postgres/init.sql:/docker-entrypoint-initdb.d/", StringComparison.Ordinal));
        File.Exists(Path.Combine(Deploy, "postgres", "init.sql")).ShouldBeTrue();

        var migrate = (YamlMappingNode)services["migrate"];
        ((YamlSequenceNode)migrate["command"]).Single().ToString().ShouldBe(GatewayApp.MigrateSwitch);
        var migrateEnv = (YamlMappingNode)migrate["environment"];
        Scalar(migrateEnv, "DataClauses__Storage__ConnectionString").ShouldContain("Username=dataclauses_owner");
        Scalar(migrateEnv, "DataClauses__Storage__RuntimeRole").ShouldBe("dataclauses_app");

        foreach (var name in new[] { "gateway-1", "gateway-2" })
        {
            // Merge keys (<<) are not applied by the representation model: the anchor is what both replicas share.
            var gateway = (YamlMappingNode)services[name];
            var shared = (YamlMappingNode)gateway["<<"];
            var env = (YamlMappingNode)shared["environment"];
            Scalar(env, "DataClauses__Storage__ConnectionString").ShouldContain("Username=dataclauses_app");
            Scalar(env, "DataClauses__Storage__MigrateOnStart").ShouldBe("false");
            var dependsOn = (YamlMappingNode)shared["depends_on"];
            Scalar((YamlMappingNode)dependsOn["migrate"], "condition").ShouldBe("service_completed_successfully");
        }
    }

    [Fact]
    public void Dockerfile_health_check_runs_the_gateway_binary_not_a_tool_the_image_lacks()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(Deploy, "Dockerfile"));
        var healthcheck = string.Join(' ', dockerfile.SkipWhile(l => !l.StartsWith("HEALTHCHECK", StringComparison.Ordinal)).TakeWhile(l => l.Length > 0).Take(2));
        healthcheck.ShouldContain($"\"dotnet\", \"DataClauses.Gateway.dll\", \"{GatewayApp.HealthCheckSwitch}\"");
        healthcheck.ShouldNotContain("wget");
        healthcheck.ShouldNotContain("curl");
        File.ReadAllText(Path.Combine(Deploy, "..", ".dockerignore")).ShouldContain("**/bin/");
    }

    [Fact]
    public void Helm_chart_has_the_required_objects_and_its_templates_parse_and_use_only_defined_values()
    {
        var values = Load(Path.Combine(Chart, "values.yaml"));
        Scalar(Load(Path.Combine(Chart, "Chart.yaml")), "apiVersion").ShouldBe("v2");
        var helpers = File.ReadAllText(Path.Combine(Chart, "templates", "_helpers.tpl"));
        var defined = DefineRegex().Matches(helpers).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var kinds = new List<string>();
        var problems = new List<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(Chart, "templates"), "*.yaml"))
        {
            var text = File.ReadAllText(file);
            foreach (Match reference in ValuesRegex().Matches(text))
            {
                if (!Resolves(values, reference.Groups[1].Value.Split('.')))
                {
                    problems.Add($"{Path.GetFileName(file)}: .Values.{reference.Groups[1].Value} is not in values.yaml");
                }
            }

            foreach (Match include in IncludeRegex().Matches(text))
            {
                if (!defined.Contains(include.Groups[1].Value))
                {
                    problems.Add($"{Path.GetFileName(file)}: include \"{include.Groups[1].Value}\" is defined nowhere");
                }
            }

            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(Blank(text)));
            }
            catch (YamlDotNet.Core.YamlException ex)
            {
                problems.Add($"{Path.GetFileName(file)}: {ex.Message}");
                continue;
            }

            foreach (var document in stream.Documents.Where(d => d.RootNode is YamlMappingNode))
            {
                var root = (YamlMappingNode)document.RootNode;
                root.Children.Keys.Select(k => k.ToString()).ShouldContain("apiVersion", Path.GetFileName(file));
                root.Children.Keys.Select(k => k.ToString()).ShouldContain("metadata", Path.GetFileName(file));
                kinds.Add(Scalar(root, "kind"));
            }
        }

        problems.ShouldBeEmpty();
        kinds.ShouldBe(["ConfigMap", "ConfigMap", "Deployment", "Job", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service"], ignoreOrder: true);
        var deployment = File.ReadAllText(Path.Combine(Chart, "templates", "deployment.yaml"));
        deployment.ShouldContain("livenessProbe:");
        deployment.ShouldContain("readinessProbe:");
        deployment.ShouldContain("path: /readyz");

        // The policies volume mounts the ConfigMap the chart creates (or the one named in values).
        deployment.ShouldContain("configMap: { name: {{ include \"dataclauses.policiesConfigMap\" . }} }");
        File.ReadAllText(Path.Combine(Chart, "templates", "policies.yaml")).ShouldContain("name: {{ include \"dataclauses.policiesConfigMap\" . }}");
    }

    [Fact]
    public void Systemd_units_verify()
    {
        var units = Directory.GetFiles(Path.Combine(Deploy, "systemd"), "*.service");
        units.Length.ShouldBe(2);
        var start = new ProcessStartInfo("systemd-analyze") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "verify", "--man=no" }.Concat(units))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("systemd-analyze did not start");
        var errors = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0, errors);
        File.ReadAllText(units.Single(u => u.EndsWith("dataclauses-gateway.service", StringComparison.Ordinal))).ShouldContain("Requires=dataclauses-migrate.service");
    }

    /// <summary>A template with its actions blanked: action-only lines removed, inline actions replaced by a scalar.</summary>
    private static string Blank(string template)
    {
        var lines = template.Split('\n').Where(l => !ActionLineRegex().IsMatch(l));
        return string.Join('\n', lines.Select(l => InlineActionRegex().Replace(l, "x")));
    }

    private static bool Resolves(YamlMappingNode values, string[] path)
    {
        YamlNode node = values;
        foreach (var part in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(part), out var next))
            {
                return false;
            }

            node = next;
        }

        return true;
    }

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = File.OpenText(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value ?? string.Empty;

    [GeneratedRegex(@"\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")]
    private static partial Regex ValuesRegex();

    [GeneratedRegex("""include "([^"]+)" """)]
    private static partial Regex IncludeRegex();

    [GeneratedRegex("""define "([^"]+)" """)]
    private static partial Regex DefineRegex();

    [GeneratedRegex(@"^\s*\{\{-?[^}]*\}\}\s*$")]
    private static partial Regex ActionLineRegex();

    [GeneratedRegex(@"\{\{-?.*?-?\}\}")]
    private static partial Regex InlineActionRegex();
}
