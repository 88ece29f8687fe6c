using System.Text.Json;
using Microsoft.Playwright;

namespace DataClauses.Portal.Tests;

/// <summary>
/// What every page visited must satisfy: no axe-core violation of the WCAG 2.1 A and AA rules (RGAA maps onto them),
/// a title, exactly one h1, lang="fr"; and a full-page screenshot saved for a person to look at.
/// </summary>
internal static class PageChecks
{
    private static readonly string AxePath = Path.Combine(AppContext.BaseDirectory, "axe", "axe.min.js");

    /// <summary>Opens <paramref name="path"/>, runs every check and saves the screenshot <paramref name="name"/>.png.</summary>
    public static async Task<IResponse> VisitAsync(IPage page, PortalFixture portal, string path, string name)
    {
        var response = await page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.Load })
            ?? throw new InvalidOperationException($"No response for {path}.");
        await CheckAsync(page, path);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(portal.ScreenshotDirectory, name + ".png"), FullPage = true });
        return response;
    }

    public static async Task CheckAsync(IPage page, string path)
    {
        (await page.TitleAsync()).ShouldNotBeNullOrWhiteSpace($"{path} has no <title>");
        (await page.Locator("h1").CountAsync()).ShouldBe(1, $"{path} must have exactly one h1");
        (await page.EvaluateAsync<string>("() => document.documentElement.lang")).ShouldBe("fr", $"{path} must be in French");

        File.Exists(AxePath).ShouldBeTrue($"{AxePath} is missing: the test project's build installs axe-core with npm.");
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = AxePath });
        var violations = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
              return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
            }
            """);
        var found = violations.EnumerateArray().Select(v => v.GetString()!).ToList();
        found.ShouldBeEmpty($"axe-core found WCAG 2.1 A/AA violations on {path}:{Environment.NewLine}{string.Join(Environment.NewLine, found)}");
    }
}
