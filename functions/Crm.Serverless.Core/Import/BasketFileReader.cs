using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Import;

/// <summary>What a transactions file and its lines file make: the baskets, and the rows that could not be used.</summary>
public sealed record BasketFile(IReadOnlyList<Basket> Baskets, int Purchases, int LineRows, int RejectedLines, int OrphanLines);

/// <summary>
/// Reads a transactions CSV and a lines CSV (<c>transactionId,customerId,sku,quantity,unitPrice[,category,unitCost]</c>),
/// both through <see cref="CsvItemReader"/>, into net <see cref="Basket"/>s as the nightly run reads them from storage:
/// a cancelled purchase is no basket, a wholly refunded one has all its lines in <see cref="Basket.RefundedLines"/>,
/// a partly refunded one keeps its lines with amounts scaled to what remains. For <c>crm evaluate --recommendations</c>,
/// which needs no storage.
/// </summary>
public sealed class BasketFileReader(CsvItemReader reader)
{
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
            foreach (var item in CsvItemReader.ReadLineItems(text, options))
            {
                rows++;
                if (item.Value is not { } row)
                {
                    rejected++;
                    continue;
                }

                var key = (row.CustomerId, row.TransactionId);
                if (!purchases.ContainsKey(key))
                {
                    orphans++;
                    continue;
                }

                if (!byTransaction.TryGetValue(key, out var list))
                {
                    byTransaction[key] = list = [];
                }

                var line = row.Item;
                list.Add(new BasketLine(line.Sku, line.Quantity, (double)(line.Quantity * line.Price), line.Category, (double?)line.UnitCost));
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

            // What is left after refunds, as a share of the purchase: 0 means every line was given back, which
            // the storage reader (BasketReader) marks the same way.
            var remaining = purchase.Amount <= 0 ? 1 : (double)Math.Max(0, (purchase.Amount - purchase.Refunded) / purchase.Amount);
            baskets.Add(remaining == 0
                ? new Basket(customerId, transactionId, purchase.At, [], Amount: (double)purchase.Amount, RefundedLines: basketLines, WhollyRefunded: true)
                : new Basket(customerId, transactionId, purchase.At, [.. basketLines.Select(l => l with { NetAmount = l.NetAmount * remaining })], Amount: (double)purchase.Amount));
        }

        baskets.Sort((x, y) => x.TimestampUtc != y.TimestampUtc ? x.TimestampUtc.CompareTo(y.TimestampUtc) : string.CompareOrdinal(x.TransactionId, y.TransactionId));
        return new BasketFile(baskets, purchases.Count, rows, rejected, orphans);
    }
}
