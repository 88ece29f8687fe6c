using DataClauses.Gateway.Hosting;
using DataClauses.Policy.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace DataClauses.Gateway.Audit;

/// <summary>Registers the audit feature's checkpoints, retention, maintenance job, report and the auditing of denied access.</summary>
internal static class AuditServiceCollectionExtensions
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<GatewayOptions>, AuditOptionsValidator>();
        services.AddSingleton<AuditCheckpoints>();
        services.AddSingleton<AuditRetention>();
        services.AddSingleton<AuditMaintenance>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditMaintenance>());
        services.AddScoped<AuditReportBuilder>();
        services.AddScoped<AuditExplorer>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessDeniedAudit>();
        return services;
    }
}

/// <summary>Checks the <c>DataClauses:Audit</c> section at start (every problem at once, with the other options').</summary>
internal sealed class AuditOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var audit = options.Audit;
        var errors = new List<string>();
        if (!IsoDuration.TryParse(audit.Retention, out var retention) || retention.IsZero || retention.Hours + retention.Minutes + retention.Seconds > 0 && retention.Years + retention.Months + retention.Weeks + retention.Days == 0)
        {
            errors.Add($"DataClauses:Audit:Retention must be an ISO 8601 duration of at least a day (e.g. P5Y), not '{audit.Retention}'.");
        }

        if (audit.CheckpointInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add("DataClauses:Audit:CheckpointInterval must be at least one second.");
        }

        var alerts = audit.Alerts;
        if (alerts.DenialBurstCount < 2 || alerts.SliceBurstCount < 2)
        {
            errors.Add("DataClauses:Audit:Alerts:DenialBurstCount and SliceBurstCount must be at least 2.");
        }

        if (alerts.DenialBurstWindow <= TimeSpan.Zero || alerts.SliceBurstWindow <= TimeSpan.Zero)
        {
            errors.Add("DataClauses:Audit:Alerts windows must be positive.");
        }

        if (alerts.WorkingHoursStart < TimeSpan.Zero || alerts.WorkingHoursEnd > TimeSpan.FromHours(24) || alerts.WorkingHoursStart >= alerts.WorkingHoursEnd)
        {
            errors.Add("DataClauses:Audit:Alerts:WorkingHoursStart must come before WorkingHoursEnd, within a day.");
        }

        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(alerts.TimeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            errors.Add($"DataClauses:Audit:Alerts:TimeZone '{alerts.TimeZone}' is not a known time zone.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
