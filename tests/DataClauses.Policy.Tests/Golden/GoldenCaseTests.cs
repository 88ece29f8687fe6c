using DataClauses.Policy.Golden;

namespace DataClauses.Policy.Tests.Golden;

/// <summary>The golden decision cases of policies/tests, the same files <c>dataclauses policy test</c> runs.</summary>
public sealed class GoldenCaseTests
{
    public static TheoryData<string, int, string> Cases()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var result in GoldenCases.Run(Paths.GoldenCases))
        {
            data.Add(Path.GetFileName(result.File), result.Line, result.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Golden_case_holds(string file, int line, string name)
    {
        var result = GoldenCases.Run(Path.Combine(Paths.GoldenCases, file)).Single(r => r.Line == line);

        result.Name.ShouldBe(name);
        result.Failures.ShouldBeEmpty($"{file}:{line} {name}");
    }

    [Fact]
    public void There_are_at_least_forty_golden_cases()
    {
        GoldenCases.Run(Paths.GoldenCases).Count.ShouldBeGreaterThanOrEqualTo(40);
    }
}
