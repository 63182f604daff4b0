using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Nightly;

/// <summary>Stage 1's output for one shard (its histories go to a blob of their own, read only by stage 3).</summary>
/// <param name="Clv">The CLV summaries as of the calibration end, in row-key order.</param>
/// <param name="Cutoff">(x, t_x, T) in weeks at the end of the as-of day: the population BG/NBD behind three features.</param>
/// <param name="Sample">The customers the models train on (at most <see cref="NightlyOptions.SampleCustomersPerShard"/>).</param>
public sealed record ShardSummary(
    int Shard,
    int Customers,
    long RowsRead,
    int? FirstPurchaseDay,
    SummaryColumns Clv,
    SummaryColumns Cutoff,
    CompactHistories Sample,
    QualityTallies Quality);

/// <summary>One shard's data-quality counts; every field adds up across shards. Emails only as hashes, never stored.</summary>
public sealed record QualityTallies(
    long Customers,
    long Transactions,
    long Contacts,
    int WithoutContact,
    long TransactionsWithoutContact,
    int ContactsWithoutPurchases,
    long[] EmailHashes,
    long GrossScaled,
    long RefundedScaled,
    int NonPositivePurchases,
    int FuturePurchases);

/// <summary>
/// Stage 1, per shard: reads that shard's customer summaries once (about one entity per customer: their purchases net
/// of refunds and the fields the quality tallies use, <see cref="ShardSummaryReader"/>), writes its compact histories
/// for stage 3, its summary for stage 2 and its product, discount and campaign partials
/// (<see cref="ShardPartials"/>). Bounded by one shard.
/// </summary>
public sealed class SummariseShard(ShardSummaryReader reader, ShardPartials partials, ClvService clv, NightlyArtefacts artefacts, IOptions<NightlyOptions> options, ShardInteractions interactions, Recommendations.RecommendationStages recommendations)
{
    public async Task<ShardSummary> RunAsync(NightPlan plan, int shard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var read = await reader.ReadAsync(shard, cancellationToken);
        var quality = new QualityCounter();
        foreach (var customer in read.Customers)
        {
            quality.Add(customer);
        }

        var shardHistories = read.Histories;
        var compact = CompactHistories.From(shardHistories);
        await artefacts.WriteAsync(NightlyArtefacts.Histories(plan.RunId, shard), compact, cancellationToken);
        await partials.WriteShardAsync(plan, shard, shardHistories, read.Baskets, cancellationToken);

        var sample = Sample(shardHistories, options.Value.SampleCustomersPerShard);
        var interactionRows = await interactions.SummariseAsync(plan, shard, sample.Select(h => h.CustomerId), cancellationToken);

        var table = PurchaseTable.From(shardHistories);
        var summary = new ShardSummary(
            shard,
            compact.Customers,
            read.EntitiesRead + interactionRows,
            shardHistories.Count == 0 ? null : shardHistories.Min(h => DateOnly.FromDateTime(h.Purchases[0].TimestampUtc).DayNumber),
            Clv(shardHistories, plan, clv),
            SummaryColumns.Of(table.CutoffSummaries(plan.AsOfEndUtc)),
            CompactHistories.From(sample),
            quality.Tallies(shardHistories, plan.AsOfEndUtc));
        await artefacts.WriteAsync(NightlyArtefacts.Summary(plan.RunId, shard), summary, cancellationToken);
        await recommendations.SummariseAsync(plan, shard, read.Baskets, cancellationToken);
        return summary;
    }

    /// <summary>The shard's CLV summary columns as of the plan's calibration end.</summary>
    public static SummaryColumns Clv(IReadOnlyList<CustomerHistory> histories, NightPlan plan, ClvService clv)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(clv);
        return SummaryColumns.Of(clv.Summarise(histories, plan.CalibrationEndUtc));
    }

    /// <summary>The shard's training sample (<see cref="ShardSample.Lowest"/>), in row-key order.</summary>
    private static List<CustomerHistory> Sample(List<CustomerHistory> histories, int maximum)
        => ShardSample.Lowest(histories, h => h.CustomerId, maximum);

    /// <summary>Tallies the customers' summaries.</summary>
    private sealed class QualityCounter
    {
        private readonly List<long> _emails = [];
        private long _customers, _transactions, _contacts, _transactionsWithoutContact, _gross, _refunded;
        private int _withoutContact, _contactsWithoutPurchases;

        public void Add(CustomerSummaryRow customer)
        {
            _customers++;
            _gross += customer.GrossAmountScaled;
            _refunded += customer.RefundedAmountScaled;
            _transactions += customer.PurchaseCount;
            if (customer.HasContact)
            {
                _contacts++;
                _contactsWithoutPurchases += customer.PurchaseCount == 0 ? 1 : 0;
                if (customer.EmailHash is { } email)
                {
                    // Only the normalised form's hash is compared and only group sizes leave the run.
                    _emails.Add(email);
                }
            }
            else if (customer.PurchaseCount > 0)
            {
                _withoutContact++;
                _transactionsWithoutContact += customer.PurchaseCount;
            }
        }

        public QualityTallies Tallies(List<CustomerHistory> histories, DateTime futureAfter) => new(
            _customers,
            _transactions,
            _contacts,
            _withoutContact,
            _transactionsWithoutContact,
            _contactsWithoutPurchases,
            [.. _emails],
            _gross,
            _refunded,
            histories.Sum(h => h.Purchases.Count(p => p.Amount <= 0)),
            histories.Sum(h => h.Purchases.Count(p => p.TimestampUtc > futureAfter)));
    }
}
