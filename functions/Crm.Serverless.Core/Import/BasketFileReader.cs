using System.Globalization;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Import;

/// <summary>What a transactions file and its lines file make: the baskets, and the rows that could not be used.</summary>
public sealed record BasketFile(IReadOnlyList<Basket> Baskets, int Purchases, int LineRows, int RejectedLines, int OrphanLines);

/// <summary>
/// Reads a transactions CSV (through <see cref="CsvItemReader"/>) and a lines CSV
/// (<c>transactionId,customerId,sku,quantity,unitPrice[,category,unitCost]</c>) into net <see cref="Basket"/>s, as
/// the nightly run reads them from storage: a cancelled purchase is no basket, a wholly refunded one keeps its lines
/// with quantity 0 (bought and refunded), a partly refunded one keeps its lines with amounts scaled to what remains.
/// </summary>
/// <remarks>
/// For <c>crm evaluate --recommendations</c>, which needs no storage. The line columns are read here until the
/// lines import's own reader (<c>CsvItemReader.ReadLineItems</c>) lands; then this should read through it.
/// </remarks>
public sealed class BasketFileReader(CsvItemReader reader)
{
    private static readonly string[] LineColumns = ["transactionId", "customerId", "sku", "quantity", "unitPrice", "category", "unitCost"];

    public BasketFile Read(FileInfo transactions, FileInfo lines, CsvReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        ArgumentNullException.ThrowIfNull(lines);
        var purchases = new Dictionary<(string Customer, string Transaction), (DateTime At, decimal Amount, decimal Refunded, bool Cancelled)>();
        var corrections = new List<Transaction>();
        using (var text = CsvItemReader.OpenFile(transactions.FullName))
        {
            foreach (var item in reader.ReadTransactions(text, options))
            {
                if (item.Value is not { } t)
                {
                    continue;
                }

                if (t.Kind == TransactionKind.Purchase)
                {
                    purchases.TryAdd((t.CustomerId, t.TransactionId), (t.Timestamp.UtcDateTime, t.AmountInReportingCurrency ?? t.Amount, 0, false));
                }
                else
                {
                    corrections.Add(t);
                }
            }
        }

        foreach (var correction in corrections)
        {
            if (correction.RefersTo is { } refersTo && purchases.TryGetValue((correction.CustomerId, refersTo), out var purchase))
            {
                purchases[(correction.CustomerId, refersTo)] = correction.Kind == TransactionKind.Cancel
                    ? purchase with { Cancelled = true }
                    : purchase with { Refunded = purchase.Refunded + (correction.AmountInReportingCurrency ?? correction.Amount) };
            }
        }

        var byTransaction = new Dictionary<(string Customer, string Transaction), List<BasketLine>>();
        int rows = 0, rejected = 0, orphans = 0;
        using (var text = CsvItemReader.OpenFile(lines.FullName))
        {
            var header = text.ReadLine() ?? throw new CsvFormatException($"{lines.FullName} is empty; expected the header {string.Join(",", LineColumns)}.");
            var delimiter = CsvLine.DetectDelimiter(header);
            var names = CsvLine.SplitHeader(header, delimiter);
            var columns = LineColumns.Select(column => names.FindIndex(name => string.Equals(name, column, StringComparison.OrdinalIgnoreCase))).ToArray();
            if (columns.Take(5).Any(index => index < 0))
            {
                throw new CsvFormatException(
                    $"The header of {lines.FullName} lacks the column(s) {string.Join(", ", LineColumns.Take(5).Where((_, i) => columns[i] < 0))}; " +
                    $"expected {string.Join(",", LineColumns.Take(5))}[,category,unitCost].");
            }

            var line = new CsvLine(delimiter);
            var numbers = options?.DecimalComma == true ? new NumberFormatInfo { NumberDecimalSeparator = "," } : NumberFormatInfo.InvariantInfo;
            while (text.ReadLine() is { } row)
            {
                if (row.Length == 0)
                {
                    continue;
                }

                rows++;
                string Field(int column) => columns[column] < 0 ? "" : line[columns[column]].ToString();
                if (!line.TrySplit(row)
                    || Field(0) is not { Length: > 0 } transactionId
                    || Field(1) is not { Length: > 0 } customerId
                    || Field(2) is not { Length: > 0 } sku
                    || !int.TryParse(Field(3), NumberStyles.Integer, CultureInfo.InvariantCulture, out var quantity)
                    || !decimal.TryParse(Field(4), NumberStyles.Number, numbers, out var unitPrice))
                {
                    rejected++;
                    continue;
                }

                decimal? unitCost = decimal.TryParse(Field(6), NumberStyles.Number, numbers, out var cost) ? cost : null;
                var key = (customerId, transactionId);
                if (!purchases.ContainsKey(key))
                {
                    orphans++;
                    continue;
                }

                if (!byTransaction.TryGetValue(key, out var list))
                {
                    byTransaction[key] = list = [];
                }

                var category = Field(5);
                list.Add(new BasketLine(sku, quantity, (double)(quantity * unitPrice), category.Length == 0 ? null : category, (double?)unitCost));
            }
        }

        var baskets = new List<Basket>(byTransaction.Count);
        foreach (var ((customerId, transactionId), basketLines) in byTransaction)
        {
            var purchase = purchases[(customerId, transactionId)];
            if (purchase.Cancelled)
            {
                continue;
            }

            // What is left after refunds, as a share of the purchase: 0 means every line was given back.
            var remaining = purchase.Amount <= 0 ? 1 : (double)Math.Max(0, (purchase.Amount - purchase.Refunded) / purchase.Amount);
            var net = remaining == 0
                ? basketLines.Select(l => l with { Quantity = 0, NetAmount = 0 }).ToList()
                : basketLines.Select(l => l with { NetAmount = l.NetAmount * remaining }).ToList();
            baskets.Add(new Basket(customerId, transactionId, purchase.At, net));
        }

        baskets.Sort((x, y) => x.TimestampUtc != y.TimestampUtc ? x.TimestampUtc.CompareTo(y.TimestampUtc) : string.CompareOrdinal(x.TransactionId, y.TransactionId));
        return new BasketFile(baskets, purchases.Count, rows, rejected, orphans);
    }
}
