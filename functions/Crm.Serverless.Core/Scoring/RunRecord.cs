using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Core.Scoring;

public static class RunStatus
{
    public const string Scoring = "Scoring";
    public const string Complete = "Complete";
}

/// <summary>One segment of a run: how many customers, what they are worth, how likely they are to leave.</summary>
public sealed record SegmentSummary(string Segment, string Name, int Customers, double MeanClv, double TotalClv, double? MeanChurnProbability);

/// <summary>The fitted CLV model of a run, as stored beside it.</summary>
public sealed record ClvFitSummary(
    double R, double Alpha, double A, double B, double BgnbdLogLikelihood,
    double P, double Q, double Gamma, double GammaGammaLogLikelihood,
    int Customers, int RepeatCustomers, string TimeUnit, int HorizonMonths);

/// <summary>What training did for one target in a run: the holdout metrics beside the baselines, and the gate's verdict.</summary>
public sealed record TrainingSummary(
    string Target,
    string? Version,
    bool Promoted,
    string Decision,
    HoldoutEvaluation? Holdout,
    double? CurrentModelAuc,
    string? ScoringVersion);

/// <summary>A nightly run: what it was as of, what it trained and fitted, and how far its scoring fan-out got.</summary>
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
    IReadOnlyDictionary<string, double> StepSeconds);
