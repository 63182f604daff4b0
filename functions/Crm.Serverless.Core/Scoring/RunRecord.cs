using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Core.Scoring;

public static class RunStatus
{
    public const string Scoring = "Scoring";
    public const string Complete = "Complete";

    /// <summary>The data was too thin to model (<see cref="InsufficientDataException"/>): ended, nothing published, blocks no start.</summary>
    public const string NotScored = "NotScored";

    /// <summary>A complete run that a published backfill as of an earlier date has replaced as the current run.</summary>
    public const string Superseded = "Superseded";
}

/// <summary>One segment of a run: how many customers, what they are worth, how likely they are to leave.</summary>
public sealed record SegmentSummary(string Segment, string Name, int Customers, double MeanClv, double TotalClv, double? MeanChurnProbability);

/// <summary>The fitted CLV model of a run, as stored beside it.</summary>
public sealed record ClvFitSummary(
    double R, double Alpha, double A, double B, double BgnbdLogLikelihood,
    double P, double Q, double Gamma, double GammaGammaLogLikelihood,
    int Customers, int RepeatCustomers, string TimeUnit, int HorizonMonths);

/// <summary>What training did for one target in a run: the holdout metrics beside the baselines, and the gate's verdict.</summary>
/// <param name="ScoringVersion">The model that scores this run; null when none beats BG/NBD, whose probabilities are then the scores.</param>
/// <param name="BestRecentAuc">The best AUC of the last few promoted models on the same holdout, as the gate saw it.</param>
/// <param name="Notes">What the gate could not compare (a model of another feature layout) and what scores instead.</param>
public sealed record TrainingSummary(
    string Target,
    string? Version,
    bool Promoted,
    string Decision,
    HoldoutEvaluation? Holdout,
    double? CurrentModelAuc,
    string? ScoringVersion,
    double? BestRecentAuc = null,
    IReadOnlyList<string>? Notes = null);

/// <summary>What produced one target's probabilities in a run: a promoted model version, or the BG/NBD model.</summary>
/// <param name="Version">The model version; null when the BG/NBD probabilities are the scores.</param>
public sealed record ScoringSource(string Target, string? Version, string Description)
{
    public const string BetaGeo = "BG/NBD";

    /// <summary>What a score row names as its model when the BG/NBD probabilities are the scores.</summary>
    public const string BetaGeoVersion = "bgnbd";

    public bool IsBetaGeo => Version is null;

    /// <summary>The version a score row names: the model's, or <see cref="BetaGeoVersion"/>.</summary>
    public string ScoreVersion => Version ?? BetaGeoVersion;
}

/// <summary>
/// A nightly run: what it was as of, what it trained and fitted, what scored each target, what went wrong without
/// stopping it (<see cref="Warnings"/>, e.g. a degenerate spend fit), and how far its scoring fan-out got.
/// </summary>
/// <param name="Backfill">Started as of a date earlier than the current run's.</param>
/// <param name="Published">It can become the current run (<see cref="RunStore.TrySwapCurrentAsync"/>); false for a
/// backfill without <c>--publish</c>, whose scores table, run record and report are kept but never read as current.</param>
public sealed record RunRecord(
    string RunId,
    DateOnly AsOf,
    string Status,
    int Shards,
    int Customers,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    IReadOnlyList<TrainingSummary> Training,
    ClvFitSummary Clv,
    IReadOnlyList<SegmentSummary> Segments,
    IReadOnlyDictionary<string, double> StepSeconds,
    IReadOnlyList<ScoringSource>? Scorers = null,
    IReadOnlyList<string>? Warnings = null,
    bool Backfill = false,
    bool Published = true);
