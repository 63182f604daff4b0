using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Simulation;
using static Crm.Serverless.Ml.Tests.Propensity.Histories;

namespace Crm.Serverless.Ml.Tests.Propensity;

public class InteractionFeatureTests
{
    private static readonly DateTime AsOf = Day(2024, 6, 30);

    // Purchases Jan 1 and May 1; the 90-day window before Jun 30 starts after Apr 1.
    private static readonly CustomerHistory Buyer = Customer("c1", (Day(2024, 1, 1), 10), (Day(2024, 5, 1), 20));

    private static readonly InteractionEvent[] Contacts =
    [
        // Outside the window: counts for nothing but the last inbound contact and rating until later ones.
        new(Day(2024, 2, 1), InteractionChannel.Phone, Inbound: true, InteractionType.Complaint, Rating: 2),
        new(Day(2024, 3, 1), InteractionChannel.Email, Inbound: false, InteractionType.Marketing, CampaignId: "spring"),

        // In the window: resolved before the cut-off, resolved after it (still open as of then), never resolved.
        new(Day(2024, 4, 10), InteractionChannel.Chat, Inbound: true, InteractionType.Complaint, ResolvedUtc: Day(2024, 4, 12)),
        new(Day(2024, 5, 10), InteractionChannel.Phone, Inbound: true, InteractionType.Complaint, ResolvedUtc: Day(2024, 7, 2)),
        new(Day(2024, 6, 5), InteractionChannel.Social, Inbound: true, InteractionType.Complaint),

        // Marketing e-mails: before the May 1 purchase (answered), after it (two unanswered), a marketing SMS-like
        // contact on another channel and an inbound marketing reply, neither of which counts.
        new(Day(2024, 4, 20), InteractionChannel.Email, Inbound: false, InteractionType.Marketing),
        new(Day(2024, 5, 15), InteractionChannel.Email, Inbound: false, InteractionType.Marketing),
        new(Day(2024, 6, 15), InteractionChannel.Email, Inbound: false, InteractionType.Marketing),
        new(Day(2024, 6, 16), InteractionChannel.Web, Inbound: false, InteractionType.Marketing),
        new(Day(2024, 6, 17), InteractionChannel.Email, Inbound: true, InteractionType.Marketing),

        // The last rating and the last inbound contact before the cut-off.
        new(Day(2024, 6, 20), InteractionChannel.Web, Inbound: true, InteractionType.Feedback, Rating: 4),
    ];

    [Fact]
    public void Build_HandMadeInteractions_ComputesComplaintsContactRatingAndUnansweredMail()
    {
        var table = PurchaseTable.From([Buyer], Interactions(("c1", Contacts)));

        var rows = FeatureBuilder.Build(table, AsOf, windowDays: 30);

        Assert.Equal(FeatureLayout.WithInteractions, rows.Layout);
        float F(string name) => rows.Value(0, IndexOf(name));
        Assert.Equal(3f, F("ComplaintsLast90Days"));
        Assert.Equal(2f, F("UnresolvedComplaintsLast90Days"));
        Assert.Equal(10f, F("DaysSinceLastInbound"));
        Assert.Equal(4f, F("LastRating"));
        Assert.Equal(2f, F("UnansweredMarketingEmailsLast90Days"));

        // The purchase features are those of the same history without interactions.
        var plain = FeatureBuilder.Build(PurchaseTable.From([Buyer]), AsOf, windowDays: 30);
        Assert.Equal(plain.Row(0).ToArray(), rows.Row(0)[..CustomerFeatures.Count].ToArray());
    }

    [Fact]
    public void Build_CustomerWithoutInteractionsInAShopWithThem_MarksContactAndRatingMissing()
    {
        var table = PurchaseTable.From([Buyer, Customer("c2", (Day(2024, 3, 1), 5))], Interactions(("c1", Contacts)));

        var rows = FeatureBuilder.Build(table, AsOf, windowDays: 30);

        var row = Enumerable.Range(0, rows.Count).Single(r => table.CustomerId(rows.CustomerIndex(r)) == "c2");
        Assert.Equal(0f, rows.Value(row, IndexOf("ComplaintsLast90Days")));
        Assert.Equal(0f, rows.Value(row, IndexOf("UnansweredMarketingEmailsLast90Days")));
        Assert.Equal(-1f, rows.Value(row, IndexOf("DaysSinceLastInbound")));
        Assert.Equal(-1f, rows.Value(row, IndexOf("LastRating")));
    }

    [Fact]
    public void Build_InteractionsAtOrAfterTheCutoff_ChangeNoFeature()
    {
        // At the cut-off instant and later: a complaint, a 1-star rating, an inbound call, a marketing e-mail, and
        // the resolution of the open June 5 complaint, none of which was known at the cut-off.
        var future = new InteractionEvent[]
        {
            new(AsOf, InteractionChannel.Phone, Inbound: true, InteractionType.Complaint),
            new(AsOf.AddDays(1), InteractionChannel.Web, Inbound: true, InteractionType.Feedback, Rating: 1),
            new(AsOf.AddDays(2), InteractionChannel.Email, Inbound: false, InteractionType.Marketing),
        };
        var resolvedLater = Contacts.Select(c => c.Type == InteractionType.Complaint && c.ResolvedUtc is null && c.TimestampUtc > Day(2024, 6, 1)
            ? c with { ResolvedUtc = AsOf.AddDays(3) }
            : c);

        var before = FeatureBuilder.Build(PurchaseTable.From([Buyer], Interactions(("c1", Contacts))), AsOf, windowDays: 30);
        var after = FeatureBuilder.Build(PurchaseTable.From([Buyer], Interactions(("c1", [.. resolvedLater, .. future]))), AsOf, windowDays: 30);

        Assert.Equal(before.Row(0).ToArray(), after.Row(0).ToArray());
    }

    [Fact]
    public void Split_InteractionsAfterEveryCutoff_LeaveTrainingAndHoldoutRowsUnchanged()
    {
        var histories = new[]
        {
            Customer("a", (Day(2023, 1, 5), 10), (Day(2023, 6, 1), 20), (Day(2024, 2, 1), 30)),
            Customer("b", (Day(2023, 2, 5), 10), (Day(2023, 9, 1), 20)),
        };
        var known = Interactions(("a", [new(Day(2023, 5, 1), InteractionChannel.Chat, Inbound: true, InteractionType.Complaint)]));
        // After the holdout cut-off (as-of minus 90 days), so after every row's cut-off.
        var later = Interactions(
            ("a", [new(Day(2023, 5, 1), InteractionChannel.Chat, Inbound: true, InteractionType.Complaint), new(AsOf.AddDays(-30), InteractionChannel.Phone, Inbound: true, InteractionType.Complaint)]),
            ("b", [new(AsOf.AddDays(-60), InteractionChannel.Web, Inbound: true, InteractionType.Feedback, Rating: 1)]));
        var options = new PropensityOptions { TrainingSpanDays = 180 };

        var original = TimeSplit.Create(PurchaseTable.From(histories, known), AsOf, PropensityTarget.Churn, options);
        var extended = TimeSplit.Create(PurchaseTable.From(histories, later), AsOf, PropensityTarget.Churn, options);

        Assert.Equal(original.Trees.Features, extended.Trees.Features);
        Assert.Equal(original.Holdout.Features, extended.Holdout.Features);
    }

    [Fact]
    public void From_NoInteractions_LayoutHasNoInteractionFeatures()
    {
        var none = PurchaseTable.From([Buyer]);
        var empty = PurchaseTable.From([Buyer], Interactions(("c1", [])));
        var onlyForUnknownCustomers = PurchaseTable.From([Buyer], Interactions(("someone-else", Contacts)));

        foreach (var table in new[] { none, empty, onlyForUnknownCustomers })
        {
            var rows = FeatureBuilder.Build(table, AsOf, windowDays: 30);
            Assert.Equal(FeatureLayout.Purchases, table.Layout);
            Assert.Equal(CustomerFeatures.Names, rows.Layout.Names);
            Assert.Equal(CustomerFeatures.Count, rows.Row(0).Length);
            Assert.DoesNotContain(rows.Layout.Names, n => InteractionFeatures.Definitions.Any(d => d.Name == n));
        }
    }

    [Fact]
    public void From_ShopThatSendsInteractions_CustomersWithoutAny_GetTheInteractionLayoutWithKnownZeros()
    {
        // A shard of a shop that sends interactions may hold none of them: it must still give the models their columns.
        var table = PurchaseTable.From([Buyer], Interactions(("someone-else", Contacts)), shopSendsInteractions: true);

        var row = FeatureBuilder.Build(table, AsOf, windowDays: 30).Row(0);

        Assert.Equal(FeatureLayout.WithInteractions, table.Layout);
        Assert.Equal(FeatureLayout.WithInteractions.Count, row.Length);
        Assert.Equal(0f, row[IndexOf("ComplaintsLast90Days")]);
        Assert.Equal(0f, row[IndexOf("UnresolvedComplaintsLast90Days")]);
        Assert.Equal(-1f, row[IndexOf("DaysSinceLastInbound")]);
        Assert.Equal(FeatureLayout.Purchases, PurchaseTable.From([Buyer], interactions: null, shopSendsInteractions: true).Layout);
    }

    [Fact]
    public void Score_ModelOfOneLayoutOnDataOfTheOther_IsRefused()
    {
        var shop = ShopSimulator.Simulate(new ShopSimulationOptions
        {
            Customers = 600,
            Seed = 3,
            R = 1.2,
            Alpha = 6,
            ObservationWeeks = 104,
            Interactions = new InteractionSimulationOptions(),
        }).ToList();
        var histories = shop.Select(s => s.History).ToList();
        var interactions = shop.ToDictionary(s => s.History.CustomerId, s => s.Interactions, StringComparer.Ordinal);
        var asOf = Day(1998, 12, 31);
        var options = new PropensityOptions { TrainingSpanDays = 180, NumberOfTrees = 5, MinimumExampleCountPerLeaf = 5 };
        var withTable = PurchaseTable.From(histories, interactions);
        var withoutTable = PurchaseTable.From(histories);
        var model = new PropensityTrainer(options).Train(withTable, asOf, PropensityTarget.Churn);
        var plain = new PropensityTrainer(options).Train(withoutTable, asOf, PropensityTarget.Churn);

        Assert.Equal(FeatureLayout.WithInteractions.Names, model.Metadata.FeatureNames);
        Assert.Equal(histories.Count, PropensityScorer.Score(model, withTable, asOf).Count);
        Assert.Throws<InvalidDataException>(() => PropensityScorer.Score(model, withoutTable, asOf));
        Assert.Throws<InvalidDataException>(() => PropensityScorer.Explain(model, withoutTable, asOf));
        Assert.Throws<InvalidDataException>(() => PropensityScorer.Evaluate(model, withoutTable, model.Metadata.HoldoutCutoffUtc, model.Metadata.LabelWindowDays));
        Assert.Throws<InvalidDataException>(() => PropensityScorer.Score(plain, withTable, asOf));
        var explanation = PropensityScorer.Explain(model, withTable, asOf, [histories[0].CustomerId], topFactors: 25).Single();
        Assert.Equal(FeatureLayout.WithInteractions.Count, explanation.TopFactors.Count);
    }

    private static Dictionary<string, IReadOnlyList<InteractionEvent>> Interactions(params (string CustomerId, InteractionEvent[] Events)[] customers)
        => customers.ToDictionary(c => c.CustomerId, c => (IReadOnlyList<InteractionEvent>)c.Events, StringComparer.Ordinal);

    private static int IndexOf(string name) => FeatureLayout.WithInteractions.Names.ToList().IndexOf(name);
}
