using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Crm.Serverless.Core.Recommendations;
using Crm.Serverless.Ml.Recommendations;

namespace Crm.Serverless.Reporting;

/// <summary>
/// The report's "Next best products" section, drawn from the run's <see cref="RecommendationRunSummary"/> artefact only:
/// the night's honest holdout evaluation (hit rate, recall and NDCG at 10 of the recommender and both popularity
/// baselines) and whether the recommender beats both by the 10% margin. Nothing for a store without line items.
/// </summary>
public static class RecommendationsSection
{
    /// <summary>The recommender earns its place when its hit rate beats both baselines' by this much, relative.</summary>
    public const double Margin = 0.10;

    public static void Render(StringBuilder html, RecommendationRunSummary? summary)
    {
        ArgumentNullException.ThrowIfNull(html);
        if (summary is null || summary.Skus == 0)
        {
            return;
        }

        html.Append("<section id=\"recommendations\">\n<h2>Next best products</h2>\n<p>")
            .Append(E(Inv($"Each customer's top products of this run, from the {summary.Method} item-item model over {summary.Skus:N0} skus ({summary.RepeatSkus:N0} normally re-bought), blended with popularity.")))
            .Append(summary.PairsDropped > 0 ? E(Inv($" The pair cap kept the {summary.PairsKept:N0} strongest sku pairs and dropped {summary.PairsDropped:N0} weaker ones.")) : "")
            .Append("</p>\n");
        if (summary.Evaluation is not { } evaluation)
        {
            html.Append("<p class=\"note\">").Append(E(summary.Note ?? "No holdout evaluation this run.")).Append("</p>\n</section>\n");
            return;
        }

        html.Append("<table id=\"recommendations-table\">\n<thead><tr><th>ranker</th>")
            .Append(Inv($"<th class=\"n\">hit rate@{evaluation.K}</th><th class=\"n\">recall@{evaluation.K}</th><th class=\"n\">NDCG@{evaluation.K}</th>"))
            .Append("</tr></thead>\n<tbody>\n");
        foreach (var ranker in evaluation.Rankers)
        {
            html.Append("<tr><td>").Append(E(ranker.Name)).Append("</td>")
                .Append(Num(Inv($"{ranker.HitRate:0.000}")))
                .Append(Num(Inv($"{ranker.Recall:0.000}")))
                .Append(Num(Inv($"{ranker.Ndcg:0.000}")))
                .Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n<p id=\"recommendations-verdict\">").Append(E(Verdict(evaluation))).Append("</p>\n<p class=\"note\">")
            .Append(E(Inv($"Learned from the baskets up to {evaluation.CutoffUtc:yyyy-MM-dd} and scored on what {evaluation.Customers:N0} sampled customers bought in the {evaluation.HoldoutDays} days after, up to the as-of date. The baselines follow the recommender's rules (no sku already bought unless normally re-bought, never a refunded-only one).")))
            .Append("</p>\n</section>\n");
    }

    /// <summary>Whether the recommender's hit rate beats both baselines by at least <see cref="Margin"/> relative, in one sentence.</summary>
    public static string Verdict(RecommendationEvaluationReport evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var gain = evaluation.HitRateGainOverBestBaseline;
        var figure = double.IsPositiveInfinity(gain) ? "both baselines hit nothing" : Inv($"{gain:+0.0%;-0.0%} against the better baseline");
        return gain >= Margin
            ? Inv($"The recommender beats both baselines' hit rate@{evaluation.K} by at least {Margin * 100:0}% relative ({figure}).")
            : Inv($"The recommender does not beat both baselines' hit rate@{evaluation.K} by {Margin * 100:0}% relative ({figure}).");
    }

    private static string Num(string value) => "<td class=\"n\">" + E(value) + "</td>";

    private static string E(string value) => HtmlEncoder.Default.Encode(value);

    private static string Inv(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
