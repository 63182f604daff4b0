using Crm.Serverless.Core.Scoring;
using DurableTask.Core.Exceptions;
using Grpc.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Functions.Orchestration;

/// <summary>
/// Starts the night as the singleton orchestration <see cref="NightOrchestration.InstanceId"/>: while that instance is
/// pending, running or suspended a start is refused and logged, so two starts (two timer firings, two instances of
/// the app) give one run. A finished, failed or terminated instance is replaced by the new night.
/// </summary>
public sealed class NightStarter(IOptions<NightlyOptions> options, ILogger<NightStarter> logger)
{
    // The backend itself refuses to replace the instance while it is in one of these states.
    private static readonly StartOrchestrationOptions Singleton = new(NightOrchestration.InstanceId)
    {
        DedupeStatuses = [nameof(OrchestrationRuntimeStatus.Pending), nameof(OrchestrationRuntimeStatus.Running), nameof(OrchestrationRuntimeStatus.Suspended)],
    };

    /// <summary>True when this call started the night; false when one is already going.</summary>
    public async Task<bool> StartAsync(DurableTaskClient client, DateOnly asOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (await RunningAsync(client, cancellationToken) is { } running)
        {
            Refuse(asOf, running);
            return false;
        }

        var start = new NightStart(asOf, options.Value.ActivityAttempts, options.Value.ActivityRetrySeconds);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(NightOrchestration.Name, start, Singleton, cancellationToken);
        }
        catch (Exception exception) when (exception is OrchestrationAlreadyExistsException or RpcException)
        {
            // Two starts raced past the check: the backend refuses the second one (the in-memory test host's client
            // says OrchestrationAlreadyExistsException; a gRPC error from another backend is checked the same way).
            if (await RunningAsync(client, cancellationToken) is not { } winner)
            {
                throw;
            }

            Refuse(asOf, winner);
            return false;
        }

        logger.LogInformation("Nightly run as of {AsOf} started as orchestration {InstanceId}", asOf, NightOrchestration.InstanceId);
        return true;
    }

    private static async Task<OrchestrationMetadata?> RunningAsync(DurableTaskClient client, CancellationToken cancellationToken)
        => await client.GetInstanceAsync(NightOrchestration.InstanceId, cancellationToken) is { } instance
            && instance.RuntimeStatus is OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Suspended
                ? instance
                : null;

    private void Refuse(DateOnly asOf, OrchestrationMetadata running)
        => logger.LogWarning(
            "Nightly run as of {AsOf} not started: orchestration {InstanceId} is still {Status} (since {CreatedAt}); it finishes or stalls first",
            asOf, running.InstanceId, running.RuntimeStatus, running.CreatedAt);
}
