using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Crm.Serverless.Core.Scoring;

namespace Crm.Serverless.Reporting;

/// <summary>
/// The report's "Churn and open complaints" section, from the run's interaction artefact only (stage 3's per-shard
/// sums): the mean churn probability of customers with an open complaint against those without. Counts and means,
/// never an id. Nothing for a store without interactions.
/// </summary>
public static class ComplaintChurnSection
{
    public static void Render(StringBuilder html, ComplaintChurn? churn)
    {
        ArgumentNullException.ThrowIfNull(html);
        if (churn is null)
        {
            return;
        }

        html.Append("<section id=\"complaint-churn\">\n<h2>Churn and open complaints</h2>\n<table id=\"complaint-churn-table\">\n")
            .Append("<thead><tr><th>customers</th><th class=\"n\">scored</th><th class=\"n\">mean churn probability</th></tr></thead>\n<tbody>\n")
            .Append(Row("with an open complaint", churn.WithOpen, churn.MeanWithOpen))
            .Append(Row("without", churn.WithoutOpen, churn.MeanWithoutOpen))
            .Append("</tbody>\n</table>\n<p class=\"note\">")
            .Append(E(Difference(churn)))
            .Append("</p>\n</section>\n");
    }

    private static string Difference(ComplaintChurn churn) => churn is { MeanWithOpen: { } with, MeanWithoutOpen: { } without }
        ? Inv($"Customers with an open complaint (made by the as-of day, not resolved by its end) are scored {with - without:+0.000;-0.000;0.000} churn probability from the rest ({with:P1} against {without:P1}).")
        : "No comparison: one of the two groups has no scored customer.";

    private static string Row(string label, int customers, double? mean)
        => "<tr><td>" + E(label) + "</td><td class=\"n\">" + E(Inv($"{customers:N0}")) + "</td><td class=\"n\">" + E(mean is { } m ? Inv($"{m:P1}") : "-") + "</td></tr>\n";

    private static string E(string value) => HtmlEncoder.Default.Encode(value);

    private static string Inv(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
