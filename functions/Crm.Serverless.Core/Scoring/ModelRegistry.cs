using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Core.Scoring;

/// <summary>A registered model version as listed: what it scored on its holdout and whether it is in use.</summary>
public sealed record RegisteredModel(
    string Version,
    PropensityTarget Target,
    DateTimeOffset RegisteredAt,
    bool Promoted,
    PromotionDecision Decision,
    PropensityModelMetadata Metadata);

/// <summary>Which version of a target is in use, and the ones before it (for rollback).</summary>
public sealed record PromotionPointer(string Version, IReadOnlyList<string> Previous, DateTimeOffset ChangedAt);

/// <summary>
/// Versioned model artefacts in blob storage: <c>{target}/{version}/model.zip</c> and <c>metadata.json</c>
/// (metrics, baselines, features, training window, counts) and <c>decision.json</c> (the gate's verdict). Nothing is
/// overwritten; <c>{target}/promoted.json</c> names the version scoring uses, changed only with its ETag.
/// </summary>
public sealed class ModelRegistry(CrmTables tables, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = PropensityModelSerializer.JsonOptions;
    private readonly ConcurrentDictionary<string, PropensityModel> _loaded = new(StringComparer.Ordinal);

    public static string TargetName(PropensityTarget target) => target.ToString().ToLowerInvariant();

    public async Task<string> RegisterAsync(PropensityModel model, PromotionDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        var now = clock.GetUtcNow();
        var version = string.Create(CultureInfo.InvariantCulture, $"{TargetName(model.Target)}-{now:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..6]}");
        var folder = $"{TargetName(model.Target)}/{version}";
        using (var zip = new MemoryStream())
        {
            PropensityModelSerializer.SaveModel(model, zip);
            zip.Position = 0;
            await tables.Models.UploadBlobAsync($"{folder}/model.zip", zip, cancellationToken);
        }

        using (var metadata = new MemoryStream())
        {
            await PropensityModelSerializer.SaveMetadataAsync(model.Metadata, metadata, cancellationToken);
            metadata.Position = 0;
            await tables.Models.UploadBlobAsync($"{folder}/metadata.json", metadata, cancellationToken);
        }

        var registration = new Registration(version, model.Target, now, decision);
        await tables.Models.UploadBlobAsync($"{folder}/decision.json", BinaryData.FromObjectAsJson(registration, Json), cancellationToken);
        _loaded[version] = model;
        return version;
    }

    public async Task<IReadOnlyList<RegisteredModel>> ListAsync(PropensityTarget? target, CancellationToken cancellationToken)
    {
        var models = new List<RegisteredModel>();
        foreach (var t in target is { } only ? [only] : Enum.GetValues<PropensityTarget>())
        {
            var promoted = (await ReadPointerAsync(t, cancellationToken)).Pointer?.Version;
            await foreach (var blob in tables.Models.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{TargetName(t)}/", cancellationToken))
            {
                if (!blob.Name.EndsWith("/decision.json", StringComparison.Ordinal))
                {
                    continue;
                }

                var registration = (await tables.Models.GetBlobClient(blob.Name).DownloadContentAsync(cancellationToken)).Value.Content.ToObjectFromJson<Registration>(Json)!;
                var metadata = await ReadMetadataAsync(t, registration.Version, cancellationToken);
                models.Add(new RegisteredModel(registration.Version, t, registration.RegisteredAt, registration.Version == promoted, registration.Decision, metadata));
            }
        }

        return [.. models.OrderBy(m => m.Target).ThenByDescending(m => m.RegisteredAt)];
    }

    /// <summary>The promoted model, loaded once per version and process.</summary>
    /// <exception cref="InvalidDataException">The promoted model's feature layout is not this build's.</exception>
    public async Task<(string Version, PropensityModel Model)?> LoadPromotedAsync(PropensityTarget target, CancellationToken cancellationToken)
    {
        var pointer = (await ReadPointerAsync(target, cancellationToken)).Pointer;
        return pointer is null ? null : (pointer.Version, await LoadAsync(target, pointer.Version, cancellationToken));
    }

    /// <summary>The promoted version and the versions promoted before it, newest first, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<string>> PromotedHistoryAsync(PropensityTarget target, int count, CancellationToken cancellationToken)
    {
        var pointer = (await ReadPointerAsync(target, cancellationToken)).Pointer;
        return pointer is null ? [] : [.. new[] { pointer.Version }.Concat(pointer.Previous).Distinct(StringComparer.Ordinal).Take(count)];
    }

    /// <summary>One registered version, loaded once per version and process.</summary>
    /// <exception cref="InvalidDataException">The model's feature layout is not this build's.</exception>
    public async Task<PropensityModel> LoadAsync(PropensityTarget target, string version, CancellationToken cancellationToken)
    {
        if (!_loaded.TryGetValue(version, out var model))
        {
            var metadata = await ReadMetadataAsync(target, version, cancellationToken);
            var zip = await tables.Models.GetBlobClient($"{TargetName(target)}/{version}/model.zip").DownloadContentAsync(cancellationToken);
            using var stream = zip.Value.Content.ToStream();
            model = PropensityModelSerializer.Load(stream, metadata);
            _loaded[version] = model;
        }

        return model;
    }

    public async Task PromoteAsync(string version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        var target = TargetOf(version);
        if (!await tables.Models.GetBlobClient($"{TargetName(target)}/{version}/model.zip").ExistsAsync(cancellationToken))
        {
            throw new KeyNotFoundException($"No model version {version} is registered.");
        }

        await ChangePointerAsync(target, current => current?.Version == version
            ? current
            : new PromotionPointer(version, current is null ? [] : [current.Version, .. current.Previous], clock.GetUtcNow()), cancellationToken);
    }

    /// <returns>The version now in use, or null when there was nothing to roll back to.</returns>
    public async Task<string?> RollbackAsync(PropensityTarget target, CancellationToken cancellationToken)
    {
        var result = await ChangePointerAsync(target, current => current is { Previous.Count: > 0 }
            ? new PromotionPointer(current.Previous[0], [.. current.Previous.Skip(1)], clock.GetUtcNow())
            : current, cancellationToken);
        return result?.Version;
    }

    public static PropensityTarget TargetOf(string version)
        => Enum.GetValues<PropensityTarget>().FirstOrDefault(t => version.StartsWith(TargetName(t) + "-", StringComparison.Ordinal)) is var target
           && version.StartsWith(TargetName(target) + "-", StringComparison.Ordinal)
            ? target
            : throw new KeyNotFoundException($"'{version}' is not a model version (expected churn-... or purchase-...).");

    private async Task<PropensityModelMetadata> ReadMetadataAsync(PropensityTarget target, string version, CancellationToken cancellationToken)
    {
        var content = await tables.Models.GetBlobClient($"{TargetName(target)}/{version}/metadata.json").DownloadContentAsync(cancellationToken);
        using var stream = content.Value.Content.ToStream();
        return await PropensityModelSerializer.LoadMetadataAsync(stream, cancellationToken);
    }

    private async Task<(PromotionPointer? Pointer, ETag? ETag)> ReadPointerAsync(PropensityTarget target, CancellationToken cancellationToken)
    {
        var blob = tables.Models.GetBlobClient($"{TargetName(target)}/promoted.json");
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken);
            return (content.Value.Content.ToObjectFromJson<PromotionPointer>(Json), content.Value.Details.ETag);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return (null, null);
        }
    }

    /// <summary>Read, change, write back guarded by the ETag; a concurrent change makes it read again.</summary>
    private async Task<PromotionPointer?> ChangePointerAsync(PropensityTarget target, Func<PromotionPointer?, PromotionPointer?> change, CancellationToken cancellationToken)
    {
        var blob = tables.Models.GetBlobClient($"{TargetName(target)}/promoted.json");
        while (true)
        {
            var (current, etag) = await ReadPointerAsync(target, cancellationToken);
            var next = change(current);
            if (next is null || ReferenceEquals(next, current))
            {
                return current;
            }

            var conditions = etag is { } e ? new BlobRequestConditions { IfMatch = e } : new BlobRequestConditions { IfNoneMatch = ETag.All };
            try
            {
                await blob.UploadAsync(BinaryData.FromObjectAsJson(next, Json), new BlobUploadOptions { Conditions = conditions }, cancellationToken);
                return next;
            }
            catch (RequestFailedException exception) when (exception.Status is 409 or 412)
            {
                // Someone promoted at the same time: read their pointer and apply the change on top of it.
            }
        }
    }

    private sealed record Registration(string Version, PropensityTarget Target, DateTimeOffset RegisteredAt, PromotionDecision Decision);
}
