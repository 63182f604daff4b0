using System.Globalization;
using Crm.Serverless.Ml.Products;
using ScottPlot;

namespace Crm.Serverless.Reporting;

public static partial class ReportCharts
{
    /// <summary>Revenue of the tops (blue) and the flops (red), one horizontal bar each, tops first.</summary>
    public static ReportChart TopsAndFlops(ProductFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var bySku = facts.Products.ToDictionary(p => p.Sku, StringComparer.Ordinal);
        var skus = facts.Tops.Concat(facts.Flops).ToList();
        var revenue = skus.Select(s => bySku[s].Revenue).ToList();
        var plot = NewPlot();
        var bars = skus.Select((sku, i) => new Bar
        {
            Position = skus.Count - 1 - i,
            Value = revenue[i],
            FillColor = i < facts.Tops.Count ? Color.FromHex("#4C72B0") : Color.FromHex("#C44E52"),
            LineWidth = 0,
            Label = revenue[i].ToString(revenue[i] >= 100 ? "N0" : "N2", CultureInfo.InvariantCulture),
        }).ToList();
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plottable.ValueLabelStyle.FontSize = 11;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. skus.Select((s, i) => new Tick(skus.Count - 1 - i, s))]);
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Margins(left: 0, right: 0.15);
        plot.XLabel("revenue");
        return Chart(
            "chart-tops-flops",
            "Tops and flops by revenue",
            string.Create(CultureInfo.InvariantCulture, $"Blue: the {facts.Tops.Count} tops; red: the {facts.Flops.Count} flops (high refund rate or falling revenue)."),
            plot,
            new Dictionary<string, IReadOnlyList<double>> { ["revenue"] = revenue });
    }
}
