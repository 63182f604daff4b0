using Crm.Serverless.Ml.Data;
using MathNet.Numerics.Distributions;

namespace Crm.Serverless.Ml.Simulation;

/// <summary>
/// Parameters of a synthetic shop. Purchase rates and dropout follow the BG/NBD process (rates per week),
/// spend follows the Gamma-Gamma model; defaults are the published CDNOW fits, so a simulated shop looks like CDNOW.
/// </summary>
public sealed record ShopSimulationOptions
{
    public int Customers { get; init; } = 10_000;
    public int Seed { get; init; } = 42;

    /// <summary>First day customers can be acquired (UTC).</summary>
    public DateTime Start { get; init; } = new(1997, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Customers make their first purchase uniformly within this many weeks from <see cref="Start"/>.</summary>
    public double AcquisitionWeeks { get; init; } = 12;

    /// <summary>Weeks of history simulated from <see cref="Start"/>.</summary>
    public double ObservationWeeks { get; init; } = 78;

    // BG/NBD: purchase rate lambda ~ Gamma(shape r, rate alpha) per week; dropout p ~ Beta(a, b) after each purchase.
    public double R { get; init; } = 0.243;
    public double Alpha { get; init; } = 4.414;
    public double A { get; init; } = 0.793;
    public double B { get; init; } = 2.426;

    // Gamma-Gamma: transaction value z ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q, rate gamma).
    public double P { get; init; } = 6.25;
    public double Q { get; init; } = 3.74;
    public double Gamma { get; init; } = 15.44;

    /// <summary>Also simulate interactions whose complaints and low ratings can end a customer; null for none (purchases only).</summary>
    public InteractionSimulationOptions? Interactions { get; init; }
}

/// <summary>What the simulator drew for one customer, so tests can compare fitted values with the truth.</summary>
/// <param name="LeftAfterContact">The customer left at a complaint or a low rating rather than by the BG/NBD dropout.</param>
public readonly record struct SimulatedCustomerTruth(double Lambda, double DropoutProbability, double Nu, bool AliveAtEnd, bool LeftAfterContact = false);

/// <param name="Interactions">Oldest first; empty when the shop simulates none.</param>
public sealed record SimulatedCustomer(CustomerHistory History, SimulatedCustomerTruth Truth, IReadOnlyList<InteractionEvent> Interactions)
{
    public SimulatedCustomer(CustomerHistory history, SimulatedCustomerTruth truth)
        : this(history, truth, [])
    {
    }
}

/// <summary>Draws a seeded, reproducible synthetic shop. Same options, same shop, on any machine.</summary>
public static class ShopSimulator
{
    public static IEnumerable<SimulatedCustomer> Simulate(ShopSimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var random = new Random(options.Seed);
        var lambdaDistribution = new Gamma(options.R, options.Alpha, random);
        var dropoutDistribution = new Beta(options.A, options.B, random);
        var nuDistribution = new Gamma(options.Q, options.Gamma, random);
        var width = Math.Max(1, (int)Math.Ceiling(Math.Log10(Math.Max(options.Customers, 1) + 1)));

        // Interactions draw from a stream of their own, so each customer's purchase process is the one the same
        // shop without interactions would have (cut short where a contact ends it).
        var talk = options.Interactions is null ? null : new InteractionProcess(options.Interactions, options, new Random(options.Seed ^ 0x5EED1A7));

        for (var i = 0; i < options.Customers; i++)
        {
            var lambda = lambdaDistribution.Sample();
            var dropout = dropoutDistribution.Sample();
            var nu = nuDistribution.Sample();
            var firstWeek = random.NextDouble() * options.AcquisitionWeeks;
            var purchases = new List<Purchase>();

            // BG/NBD: dropout can only follow a repeat purchase, never the first one (time zero).
            var week = firstWeek;
            var alive = true;
            purchases.Add(new Purchase(ToDate(options.Start, week), Spend(options.P, nu, random)));
            while (true)
            {
                week += -Math.Log(1 - random.NextDouble()) / lambda;
                if (week > options.ObservationWeeks)
                {
                    break;
                }

                purchases.Add(new Purchase(ToDate(options.Start, week), Spend(options.P, nu, random)));
                if (random.NextDouble() < dropout)
                {
                    alive = false;
                    break;
                }
            }

            var id = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width, '0');
            if (talk is null)
            {
                yield return new SimulatedCustomer(new CustomerHistory("S" + id, purchases), new SimulatedCustomerTruth(lambda, dropout, nu, alive));
                continue;
            }

            var (interactions, leftAt) = talk.Simulate(firstWeek, alive ? options.ObservationWeeks : week, purchases);
            if (leftAt is { } left)
            {
                purchases.RemoveAll(p => p.TimestampUtc > left);
            }

            yield return new SimulatedCustomer(
                new CustomerHistory("S" + id, purchases),
                new SimulatedCustomerTruth(lambda, dropout, nu, alive && leftAt is null, leftAt is not null),
                interactions);
        }
    }

    internal static DateTime ToDate(DateTime start, double weeks) => start.AddSeconds(Math.Floor(weeks * 7 * 86_400));

    private static double Spend(double shape, double rate, Random random)
        => Math.Round(MathNet.Numerics.Distributions.Gamma.Sample(random, shape, rate), 2);
}
