using Crm.Serverless.Core.Campaigns;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Products;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Discounts;
using Crm.Serverless.Ml.Products;

namespace Crm.Serverless.Core.Nightly;

/// <summary>Stage 1 → 4: one shard's product figures and campaign tallies (sums by sku and by campaign, no customer ids).</summary>
public sealed record ShardFacts(ProductFactsPartial Products, KeyedTotals<CampaignTally> Campaigns);

/// <summary>Stage 1 → 3: each of the shard's customers' discount profile (holds customer ids: deleted when the run completes).</summary>
public sealed record ShardDiscountProfiles(Dictionary<string, DiscountProfile> Customers);

/// <summary>
/// The run's product facts, discount response and campaign figures as per-shard partials, computed where the shard's
/// data already is and merged once: stage 1 (the shard's histories and baskets) writes its product partial, campaign
/// tallies and each customer's discount profile; stage 3 (the shard's segments) turns the profiles into the shard's
/// discount response by segment; stage 4 adds the partials up. So stage 4 reads two small blobs per shard and holds
/// one total per sku, segment and campaign, never a customer's row.
/// </summary>
public sealed class ShardPartials(NightlyArtefacts artefacts, CampaignService campaigns)
{
    /// <summary>Stage 1: the shard's product partial, campaign tallies and discount profiles, written under the run.</summary>
    /// <param name="baskets">The shard's baskets, one list per customer (as <c>BasketReader.ReadShardAsync</c> gives them).</param>
    public async Task WriteShardAsync(
        NightPlan plan, int shard, IReadOnlyList<CustomerHistory> histories, IReadOnlyList<IReadOnlyList<Basket>> baskets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(baskets);
        var facts = new ShardFacts(Products(baskets, plan.AsOf), await campaigns.TallyShardAsync(plan.AsOf, shard, histories, baskets, cancellationToken));
        await artefacts.WriteAsync(NightlyArtefacts.Facts(plan.RunId, shard), facts, cancellationToken);
        await artefacts.WriteAsync(NightlyArtefacts.DiscountProfiles(plan.RunId, shard), Profiles(baskets, plan.AsOf), cancellationToken);
    }

    /// <summary>Stage 3: the shard's discount response by segment, from stage 1's profiles and the shard's scores.</summary>
    public async Task WriteDiscountsAsync(NightPlan plan, int shard, IReadOnlyList<CustomerScore> scores, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var profiles = await artefacts.ReadAsync<ShardDiscountProfiles>(NightlyArtefacts.DiscountProfiles(plan.RunId, shard), cancellationToken);
        await artefacts.WriteAsync(NightlyArtefacts.Discounts(plan.RunId, shard), Discounts(profiles, scores), cancellationToken);
    }

    /// <summary>Stage 4: every shard's partials added up, in shard order.</summary>
    public async Task<(ProductFacts Products, DiscountResponse Discounts, KeyedTotals<CampaignTally> Campaigns)> MergeAsync(NightPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var facts = new ShardFacts[plan.Shards];
        var discounts = new DiscountResponsePartial[plan.Shards];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, plan.Shards),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (shard, ct) =>
            {
                facts[shard] = await artefacts.ReadAsync<ShardFacts>(NightlyArtefacts.Facts(plan.RunId, shard), ct);
                discounts[shard] = await artefacts.ReadAsync<DiscountResponsePartial>(NightlyArtefacts.Discounts(plan.RunId, shard), ct);
            });

        var products = new ProductFactsPartial(plan.AsOf);
        var response = new DiscountResponsePartial();
        var tallies = new KeyedTotals<CampaignTally>();
        for (var shard = 0; shard < plan.Shards; shard++)
        {
            products.Merge(facts[shard].Products);
            response.Merge(discounts[shard]);
            tallies.Merge(facts[shard].Campaigns);
        }

        return (products.ToFacts(), response.ToResponse(), tallies);
    }

    /// <summary>Some customers' product figures as of the end of <paramref name="asOf"/>: pure.</summary>
    public static ProductFactsPartial Products(IEnumerable<IReadOnlyList<Basket>> customers, DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(customers);
        var products = new ProductFactsPartial(asOf);
        foreach (var customer in customers)
        {
            products.AddCustomer(customer);
        }

        return products;
    }

    /// <summary>Each customer's discount profile over the baskets up to the end of <paramref name="asOf"/> (customers with none are left out): pure.</summary>
    public static ShardDiscountProfiles Profiles(IEnumerable<IReadOnlyList<Basket>> customers, DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(customers);
        var end = asOf.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var profiles = new Dictionary<string, DiscountProfile>(StringComparer.Ordinal);
        foreach (var customer in customers)
        {
            var known = customer.Where(b => b.TimestampUtc < end).ToList();
            if (known.Count > 0)
            {
                profiles[known[0].CustomerId] = DiscountProfile.Of(known);
            }
        }

        return new ShardDiscountProfiles(profiles);
    }

    /// <summary>The profiles by each customer's segment (<see cref="ProductFactsService.Unscored"/> for one the run did not score): pure.</summary>
    public static DiscountResponsePartial Discounts(ShardDiscountProfiles profiles, IReadOnlyList<CustomerScore> scores)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(scores);
        var segments = scores.ToDictionary(s => s.CustomerId, s => s.Segment, StringComparer.Ordinal);
        var partial = new DiscountResponsePartial();
        foreach (var (customerId, profile) in profiles.Customers)
        {
            partial.Add(segments.GetValueOrDefault(customerId) ?? ProductFactsService.Unscored, profile);
        }

        return partial;
    }
}
