using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Export;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Functions.Http;
using Crm.Serverless.Testing;
using Xunit.Abstractions;

namespace Crm.Serverless.Functions.Tests;

/// <summary>Issue 15: interactions through every door, stored once with the customer, aggregates equal to a recount.</summary>
[Collection(AzuriteCollection.Name)]
public class InteractionTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    /// <summary>Whole seconds, as the JSON sends them.</summary>
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    private Task<TestHost> StartAsync() => azurite.StartHostAsync(builder => builder.AddCrmFunctions());

    internal static string Json(
        string id,
        string customerId,
        DateTimeOffset at,
        string channel = "email",
        string direction = "inbound",
        string type = "inquiry",
        int? rating = null,
        DateTimeOffset? resolvedAt = null,
        string? campaignId = null,
        string? subject = null)
    {
        var fields = new Dictionary<string, object?>
        {
            ["interactionId"] = id,
            ["customerId"] = customerId,
            ["timestamp"] = at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["channel"] = channel,
            ["direction"] = direction,
            ["type"] = type,
        };
        if (rating is not null)
        {
            fields["rating"] = rating;
        }

        if (resolvedAt is { } resolved)
        {
            fields["resolvedAt"] = resolved.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }

        if (campaignId is not null)
        {
            fields["campaignId"] = campaignId;
        }

        if (subject is not null)
        {
            fields["subject"] = subject;
        }

        return JsonSerializer.Serialize(fields);
    }

    internal static async Task<HttpCall.Response> PostAsync(TestHost host, string body)
    {
        var request = HttpCall.Request("POST", "/api/interactions", body);
        return await HttpCall.InvokeAsync(request, r => host.Create<InteractionsHttp>().Post(r, CancellationToken.None), "PostInteractions");
    }

    private static async Task<List<InteractionEntity>> InteractionRowsAsync(TestHost host)
        => [.. (await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Interactions)).Where(r => !CrmKeys.IsCustomerRow(r.RowKey)).Select(InteractionEntity.FromRow)];

    [Fact]
    public async Task Interaction_SentThreeTimes_ByHttpQueueAndImport_IsStoredOnce()
    {
        await using var host = await StartAsync();
        var at = Now.AddDays(-3);
        var body = Json("i-1", "c-1", at, "phone", "inbound", "complaint", subject: "Parcel arrived broken");

        var http = await PostAsync(host, body);
        var queue = await host.Get<QueueIngestProcessor>().ProcessAsync($$"""{"type":"interaction","data":{{body}}}""", "m-1", CancellationToken.None);
        var file = Path.Combine(Directory.CreateTempSubdirectory("crm-int-").FullName, "interactions.csv");
        await File.WriteAllLinesAsync(file, ["interactionId,customerId,timestamp,channel,direction,type,subject", $"i-1,c-1,{at:yyyy-MM-ddTHH:mm:ssZ},phone,inbound,complaint,Parcel arrived broken"]);
        var import = await host.Get<InteractionImportService>().ImportAsync(file, null, 2, 1000, null, CancellationToken.None);

        Assert.Equal(201, http.Status);
        Assert.Equal(1, queue.Duplicates);
        Assert.Equal(0, queue.Accepted + queue.Conflicts + queue.Rejected);
        Assert.Equal((1, 1, 0), (import.InteractionRows, import.AlreadyStored, import.Stored));
        var rows = await InteractionRowsAsync(host);
        Assert.Single(rows);
        Assert.Equal("Parcel arrived broken", rows[0].Subject);
        var (summary, _) = await host.Get<InteractionReader>().ReadCustomerAsync("c-1", CancellationToken.None);
        Assert.Equal(1, summary!.Count);
        Assert.Equal(1, summary.OpenComplaints);
    }

    [Fact]
    public async Task DifferentContent_UnderTheSameId_IsAConflict_AndChangesNothing()
    {
        await using var host = await StartAsync();
        var at = Now.AddDays(-1);
        await PostAsync(host, Json("i-1", "c-1", at, "chat", subject: "first"));

        var http = await PostAsync(host, Json("i-1", "c-1", at, "phone", subject: "first"));
        var queue = await host.Get<QueueIngestProcessor>().ProcessAsync($$"""{"type":"interaction","data":[{{Json("i-1", "c-1", at, "chat", subject: "second")}}]}""", "m-2", CancellationToken.None);

        Assert.Equal(409, http.Status);
        Assert.Contains("interactionId", http.Errors.Keys);
        Assert.Equal(1, queue.Conflicts);
        var rejected = await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Rejected);
        Assert.Single(rejected);
        Assert.Equal("interaction", rejected[0].GetString("Kind"));
        var stored = Assert.Single(await InteractionRowsAsync(host));
        Assert.Equal(("chat", "first"), (stored.Channel, stored.Subject));
    }

    [Fact]
    public async Task Resolution_SentLater_UpdatesTheComplaint_LateOpenSendIsStale_OtherResolutionConflicts()
    {
        await using var host = await StartAsync();
        var at = Now.AddDays(-2);
        var open = Json("i-1", "c-1", at, "email", "inbound", "complaint");
        var resolved = Json("i-1", "c-1", at, "email", "inbound", "complaint", rating: 4, resolvedAt: at.AddHours(5));

        var first = await PostAsync(host, open);
        var openComplaintsBefore = (await host.Get<InteractionReader>().ReadCustomerAsync("c-1", CancellationToken.None)).Summary!.OpenComplaints;
        var resolution = await PostAsync(host, resolved);
        var late = await PostAsync(host, open);
        var other = await PostAsync(host, Json("i-1", "c-1", at, "email", "inbound", "complaint", resolvedAt: at.AddHours(6)));

        Assert.Equal((201, 200, 200, 409), (first.Status, resolution.Status, late.Status, other.Status));
        Assert.Equal("updated", resolution.Json.GetProperty("status").GetString());
        Assert.Equal("stale", late.Json.GetProperty("status").GetString());
        Assert.Equal(1, openComplaintsBefore);
        var (summary, rows) = await host.Get<InteractionReader>().ReadCustomerAsync("c-1", CancellationToken.None);
        Assert.Equal(0, summary!.OpenComplaints);
        Assert.Equal(4, summary.LastRating);
        Assert.Equal(at.AddHours(5), Assert.Single(rows).ResolvedAt);
    }

    [Fact]
    public async Task EightConcurrentWriters_SendingEachInteractionThreeTimes_LeaveAggregatesEqualToARecount()
    {
        await using var host = await StartAsync();
        var random = new Random(15);
        var channels = InteractionNames.Channels.Select(InteractionNames.Name).ToArray();
        var types = InteractionNames.Types.Select(InteractionNames.Name).ToArray();

        // 400 interactions of 12 customers over 200 days; complaints sometimes resolved, the resolution sent as one
        // of the three sends, so open and resolved versions race each other.
        var sends = new List<string>();
        var expectedOpen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var n = 0; n < 400; n++)
        {
            var customerId = $"k-{random.Next(12):D2}";
            var at = Now.AddMinutes(-random.Next(0, 200 * 24 * 60));
            var type = types[random.Next(types.Length)];
            var channel = channels[random.Next(channels.Length)];
            var direction = random.Next(3) == 0 ? "outbound" : "inbound";
            var rating = random.Next(4) == 0 ? random.Next(1, 6) : (int?)null;
            var campaign = random.Next(5) == 0 ? "camp-1" : null;
            var open = Json($"i-{n:D4}", customerId, at, channel, direction, type, rating, null, campaign, $"subject {n}");
            var resolves = type == "complaint" && random.Next(2) == 0;
            var resolved = Json($"i-{n:D4}", customerId, at, channel, direction, type, rating, at.AddHours(3), campaign, $"subject {n}");
            sends.AddRange([open, resolves ? resolved : open, open]);
            if (type == "complaint" && !resolves)
            {
                expectedOpen[customerId] = expectedOpen.GetValueOrDefault(customerId) + 1;
            }
        }

        var deliveries = new List<(bool Http, string Body, string Id)>();
        var shuffled = sends.OrderBy(_ => random.Next()).ToList();
        for (var i = 0; i < shuffled.Count;)
        {
            var chunk = shuffled.Skip(i).Take(random.Next(1, 21)).ToList();
            i += chunk.Count;
            deliveries.Add((random.Next(2) == 0, "[" + string.Join(',', chunk) + "]", $"m-{i}"));
        }

        var statuses = new ConcurrentDictionary<int, int>();
        var queueResults = new ConcurrentBag<QueueIngestResult>();
        var processor = host.Get<QueueIngestProcessor>();
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (delivery, ct) =>
        {
            if (delivery.Http)
            {
                var response = await PostAsync(host, delivery.Body);
                statuses.AddOrUpdate(response.Status, 1, (_, k) => k + 1);
            }
            else
            {
                queueResults.Add(await processor.ProcessAsync($$"""{"type":"interaction","data":{{delivery.Body}}}""", delivery.Id, ct));
            }
        });

        var rows = await InteractionRowsAsync(host);
        var asOf = DateTimeOffset.UtcNow;
        var mismatches = new List<string>();
        var summaries = (await StorageRecount.AllRowsAsync(host.Get<CrmTables>().Interactions)).Where(r => CrmKeys.IsCustomerRow(r.RowKey)).ToList();
        foreach (var group in rows.GroupBy(r => r.CustomerId, StringComparer.Ordinal))
        {
            var (summary, _) = await host.Get<InteractionReader>().ReadCustomerAsync(group.Key, CancellationToken.None);
            var stored = summary!.ToSummary(asOf);
            var recount = Recount(group.ToList(), asOf);
            if (JsonSerializer.Serialize(stored) != JsonSerializer.Serialize(recount))
            {
                mismatches.Add($"{group.Key}: stored {JsonSerializer.Serialize(stored)} recount {JsonSerializer.Serialize(recount)}");
            }

            if (stored.OpenComplaints != expectedOpen.GetValueOrDefault(group.Key))
            {
                mismatches.Add($"{group.Key}: {stored.OpenComplaints} open complaints, {expectedOpen.GetValueOrDefault(group.Key)} sent unresolved");
            }
        }

        output.WriteLine($"{deliveries.Count} deliveries of {sends.Count} sends; {rows.Count} rows stored; HTTP statuses {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}; " +
                         $"queue {queueResults.Sum(r => r.Accepted)} accepted, {queueResults.Sum(r => r.Updated)} updated, {queueResults.Sum(r => r.Duplicates)} duplicate, {queueResults.Sum(r => r.Stale)} stale");
        Assert.Equal(400, rows.Count);
        Assert.Equal(400, rows.Select(r => r.RowKey).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(rows.Select(r => r.CustomerId).Distinct(StringComparer.Ordinal).Count(), summaries.Count);
        Assert.Empty(mismatches);
        Assert.Equal([200], statuses.Keys);
        Assert.All(queueResults, r => Assert.Equal(0, r.Conflicts + r.Rejected));
    }

    /// <summary>The aggregates straight from the rows, written apart from the code under test.</summary>
    private static InteractionSummary Recount(List<InteractionEntity> rows, DateTimeOffset asOf)
    {
        var firstDay = DateOnly.FromDateTime(asOf.UtcDateTime).AddDays(-89);
        var recent = rows.Where(r => DateOnly.FromDateTime(r.OccurredAt.UtcDateTime) >= firstDay).ToList();
        var inbound = rows.Where(r => r.Direction == "inbound").ToList();
        var rated = rows.Where(r => r.Rating is not null).OrderBy(r => r.OccurredAt).ThenBy(r => r.InteractionId, StringComparer.Ordinal).LastOrDefault();
        var channels = InteractionNames.Channels.Select(InteractionNames.Name).ToList();
        var weights = channels.Select(c => inbound.Count(r => r.Channel == c) + inbound.Count(r => r.Channel == c && (r.CampaignId is not null || r.Type == "order-related"))).ToList();
        var best = weights.IndexOf(weights.Max());
        return new InteractionSummary(
            rows.Count,
            inbound.Count > 0 ? inbound.Max(r => r.OccurredAt) : null,
            rows.Any(r => r.Direction == "outbound") ? rows.Where(r => r.Direction == "outbound").Max(r => r.OccurredAt) : null,
            rows.Count(r => r.Type == "complaint" && r.ResolvedAt is null),
            rated?.Rating,
            rated?.OccurredAt,
            channels.ToDictionary(c => c, c => recent.Count(r => r.Channel == c)),
            InteractionNames.Types.Select(InteractionNames.Name).ToDictionary(t => t, t => recent.Count(r => r.Type == t)),
            channels.ToDictionary(c => c, c => inbound.Count(r => r.Channel == c)),
            inbound.Count < 3 ? null : new ChannelAffinity(channels[best], Math.Round((double)weights[best] / weights.Sum(), 4), inbound.Count(r => r.Channel == channels[best])));
    }

    [Fact]
    public async Task Erase_RemovesEveryInteractionAndItsSubject_FromEveryTable()
    {
        await using var host = await StartAsync();
        const string Secret = "Refund my order to account DE89-3704";
        await PostAsync(host, "[" + string.Join(',', Enumerable.Range(0, 120).Select(n => Json($"i-{n}", "gone-1", Now.AddHours(-n), subject: Secret + n))) + "]");
        await PostAsync(host, Json("i-0", "stays-1", Now.AddHours(-1), subject: "unrelated"));
        await host.Get<QueueIngestProcessor>().ProcessAsync($$"""{"type":"interaction","data":[{{Json("bad", "gone-1", Now, "fax", subject: Secret)}}]}""", "m-bad", CancellationToken.None);
        var tables = host.Get<CrmTables>();
        var privacy = host.Get<CustomerPrivacyService>();
        var export = await privacy.ExportAsync("gone-1", CancellationToken.None);

        var erased = await privacy.EraseAsync("gone-1", CancellationToken.None);

        Assert.Contains(Secret + "7", JsonSerializer.Serialize(export), StringComparison.Ordinal);
        Assert.Equal(121, erased.DeletedRows[tables.Interactions.Name]);
        Assert.Equal(1, erased.DeletedRows[tables.Rejected.Name]);
        Assert.Empty(await StorageRecount.RowsHoldingAsync(tables.AllTables, "gone-1"));
        var leftover = new List<string>();
        foreach (var table in tables.AllTables)
        {
            foreach (var row in await StorageRecount.AllRowsAsync(table))
            {
                leftover.AddRange(((IDictionary<string, object>)row).Values.OfType<string>().Where(v => v.Contains(Secret, StringComparison.Ordinal)).Select(_ => table.Name));
            }
        }

        Assert.Empty(leftover);
        Assert.Single(await InteractionRowsAsync(host));
    }

    [Fact]
    public async Task CustomerView_ShowsLast20Interactions_CountsOpenComplaintsAndTheGlance()
    {
        await using var host = await StartAsync();
        await SendPurchaseAsync(host, "v-1", Now.AddDays(-10), 42.5m);
        var sends = Enumerable.Range(0, 25).Select(n => Json($"i-{n:D2}", "v-1", Now.AddDays(-n - 1), n % 2 == 0 ? "email" : "chat", "inbound", n < 2 ? "complaint" : "inquiry", campaignId: n % 2 == 0 ? "spring" : null));
        await PostAsync(host, "[" + string.Join(',', sends) + "]");

        var request = HttpCall.Request("GET", "/api/customers/v-1");
        var response = await HttpCall.ExecuteAsync(await host.Create<CustomersHttp>().Get(request, "v-1", CancellationToken.None), request);

        Assert.Equal(200, response.Status);
        var view = response.Json;
        var interactions = view.GetProperty("interactions");
        var recent = interactions.GetProperty("recent").EnumerateArray().Select(i => i.GetProperty("interactionId").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(n => $"i-{n:D2}"), recent);
        var summary = interactions.GetProperty("summary");
        Assert.Equal(25, summary.GetProperty("count").GetInt32());
        Assert.Equal(2, summary.GetProperty("openComplaints").GetInt32());
        Assert.Equal(13, summary.GetProperty("last90DaysByChannel").GetProperty("email").GetInt32());
        Assert.Equal(12, summary.GetProperty("last90DaysByChannel").GetProperty("chat").GetInt32());
        Assert.Equal("email", summary.GetProperty("channelAffinity").GetProperty("channel").GetString());
        var glance = view.GetProperty("glance");
        Assert.Equal(42.5m, glance.GetProperty("lastPurchaseAmount").GetDecimal());
        Assert.Equal("email", glance.GetProperty("lastContactChannel").GetString());
        Assert.Equal(2, glance.GetProperty("openComplaints").GetInt32());
    }

    [Fact]
    public async Task CustomerExport_CarriesChannelAffinityAndInteractionColumns()
    {
        await using var host = await StartAsync();
        await SendPurchaseAsync(host, "x-1", Now.AddDays(-5), 10m);
        await SendPurchaseAsync(host, "x-2", Now.AddDays(-5), 10m);
        await PostAsync(host, "[" + string.Join(',', [
            Json("a", "x-1", Now.AddDays(-1), "phone", "inbound", "complaint"),
            Json("b", "x-1", Now.AddDays(-2), "phone", "inbound", "order-related"),
            Json("c", "x-1", Now.AddDays(-3), "email", "inbound", "inquiry"),
            Json("d", "x-1", Now.AddDays(-4), "email", "outbound", "marketing", campaignId: "c1"),
            Json("e", "x-1", Now.AddDays(-400), "web", "inbound", "feedback", rating: 2),
        ]) + "]");

        var writer = new StringWriter();
        await host.Get<CustomerCsvExporter>().WriteAllAsync(writer, CancellationToken.None);

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split(',')).ToList();
        var header = lines[0].ToList();
        var x1 = lines.Single(l => l[0] == "x-1");
        var x2 = lines.Single(l => l[0] == "x-2");
        string Cell(string[] row, string column) => row[header.IndexOf(column)];
        Assert.Equal("phone", Cell(x1, "channelAffinity"));
        Assert.Equal("0.6", Cell(x1, "channelAffinityShare"));
        Assert.Equal("4", Cell(x1, "interactions90d"));
        Assert.Equal("1", Cell(x1, "openComplaints"));
        Assert.Equal("2", Cell(x1, "lastRating"));
        Assert.Equal("", Cell(x2, "channelAffinity"));
        Assert.Equal("", Cell(x2, "openComplaints"));
    }

    [Fact]
    public async Task BadFields_AnswerProblemDetailsNamingEachField()
    {
        await using var host = await StartAsync();
        var bad = $$"""
            [{"interactionId":"ok","customerId":"c-1","timestamp":"2024-01-01T00:00:00Z","channel":"email","direction":"inbound","type":"inquiry"},
             {"customerId":"c|1","timestamp":"yesterday","channel":"fax","direction":"sideways","type":"rant","rating":7,"campaignId":"","subject":"{{new string('x', 201)}}"},
             {"interactionId":"r","customerId":"c-2","timestamp":"2024-01-02T00:00:00Z","channel":"chat","direction":"outbound","type":"support","resolvedAt":"2024-01-01T00:00:00Z","rating":"five"}]
            """;

        var response = await PostAsync(host, bad);
        var single = await PostAsync(host, """{"interactionId":"s","customerId":"c-3","timestamp":"2024-01-01T00:00:00Z","channel":"email","direction":"inbound","type":"inquiry","subject":"line\nbreak"}""");

        Assert.Equal(200, response.Status);
        var items = response.Json.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal("accepted", items[0].GetProperty("status").GetString());
        var errors = items.Skip(1).SelectMany(i => i.GetProperty("errors").EnumerateObject().Select(e => (string?)e.Name)).ToHashSet();
        Assert.Superset(new HashSet<string?>
        {
            "[1].interactionId", "[1].customerId", "[1].timestamp", "[1].channel", "[1].direction", "[1].type", "[1].rating", "[1].campaignId", "[1].subject",
            "[2].resolvedAt", "[2].rating",
        }, errors);
        Assert.Equal(400, single.Status);
        Assert.StartsWith("application/problem+json", single.ContentType, StringComparison.Ordinal);
        Assert.Equal(["subject"], single.Errors.Keys);
        Assert.DoesNotContain("break", single.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InteractionReader_GivesTheModelsEventsWithoutSubjects_AndSaysWhetherAnyExist()
    {
        await using var host = await StartAsync();
        var reader = host.Get<InteractionReader>();
        var before = await reader.AnyAsync(CancellationToken.None);
        await PostAsync(host, "[" + string.Join(',', Json("b", "m-1", Now.AddDays(-1), "phone", "outbound", "support", subject: "s1"), Json("a", "m-1", Now.AddDays(-2), "chat", "inbound", "complaint", rating: 1, subject: "s2")) + "]");

        var shard = await reader.ReadShardAsync(CrmKeys.ShardOf("m-1"), CancellationToken.None);

        Assert.False(before);
        Assert.True(await reader.AnyAsync(CancellationToken.None));
        var events = shard.Interactions["m-1"];
        Assert.Equal(3, shard.RowsRead); // two interactions and the aggregates row
        Assert.Equal([Ml.Data.InteractionChannel.Chat, Ml.Data.InteractionChannel.Phone], events.Select(e => e.Channel));
        Assert.Equal([true, false], events.Select(e => e.Inbound));
        Assert.Equal(1, events[0].Rating);
        Assert.Null(events[0].ResolvedUtc);
    }

    [Fact]
    public async Task StoreWithoutInteractions_GetsNoInteractionArtefact_AndNoReportSection()
    {
        await using var host = await StartAsync();
        await SendPurchaseAsync(host, "p-1", Now.AddDays(-1), 5m);
        var run = new Core.Scoring.RunRecord("run-1", DateOnly.FromDateTime(Now.UtcDateTime), "complete", CrmKeys.ShardCount, 1, Now, Now, [], null!, [], new Dictionary<string, double>());
        var store = host.Get<Core.Scoring.InteractionActivityStore>();

        await store.PublishAsync(run, CancellationToken.None);
        var html = new System.Text.StringBuilder();
        Crm.Serverless.Reporting.InteractionsSection.Render(html, await store.GetAsync(run.RunId, CancellationToken.None));

        Assert.Null(await store.GetAsync(run.RunId, CancellationToken.None));
        Assert.Equal(0, html.Length);
    }

    private static async Task SendPurchaseAsync(TestHost host, string customerId, DateTimeOffset at, decimal amount)
    {
        var body = string.Create(CultureInfo.InvariantCulture, $$"""{"transactionId":"t-{{customerId}}","customerId":"{{customerId}}","timestamp":"{{at:yyyy-MM-ddTHH:mm:ssZ}}","amount":{{amount}},"currency":"USD"}""");
        var request = HttpCall.Request("POST", "/api/transactions", body);
        var response = await HttpCall.InvokeAsync(request, r => host.Create<TransactionsHttp>().Post(r, CancellationToken.None));
        Assert.Equal(201, response.Status);
    }
}
