using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// What the nightly run needs of one customer, kept in one row of the customer's partition (row key
/// <see cref="CrmKeys.SummaryRow"/>) so stage 1 reads one entity per customer instead of every purchase row. It is
/// recomputed by <see cref="PartitionWriter"/> from the customer row and purchase rows it has just read and written,
/// and written blind in the same entity-group transaction (the customer row's ETag guards the batch), so it always
/// equals a recount. Holds the customer's purchases that are not cancelled, with the columns the histories and
/// baskets are built from (the same code builds them from purchase rows), and the customer-row fields the quality
/// tallies add up; the e-mail only as a hash of its normalised form.
/// </summary>
public sealed class CustomerSummaryRow
{
    /// <summary>A Table binary property holds at most 64 KiB.</summary>
    private const int ChunkBytes = 64_000;

    /// <summary>
    /// At most this many chunks (~256 KB): a batch of 100 actions must stay under the service's 4 MiB, so a customer
    /// whose purchases pack larger is marked <c>Overflow</c> and read from their own range instead.
    /// </summary>
    private const int MaxChunks = 4;

    /// <summary>Summary bytes one batch may carry (the writer closes a batch before exceeding it).</summary>
    public const int MaxBytesPerBatch = 2_000_000;

    private const byte FormatVersion = 1;

    private const string Chunk = "P";

    private CustomerSummaryRow(string customerId, bool hasContact, long? emailHash, int purchaseCount, long gross, long total, long refunded, List<TransactionEntity> purchases)
    {
        CustomerId = customerId;
        HasContact = hasContact;
        EmailHash = emailHash;
        PurchaseCount = purchaseCount;
        GrossAmountScaled = gross;
        TotalAmountScaled = total;
        RefundedAmountScaled = refunded;
        Purchases = purchases;
    }

    public string CustomerId { get; }

    public bool HasContact { get; }

    /// <summary>The first 8 bytes of SHA-256 over the trimmed, lower-cased e-mail; null without one.</summary>
    public long? EmailHash { get; }

    public int PurchaseCount { get; }

    public long GrossAmountScaled { get; }

    public long TotalAmountScaled { get; }

    public long RefundedAmountScaled { get; }

    /// <summary>The purchases not cancelled, in row-key order, with only the columns histories and baskets use.</summary>
    public IReadOnlyList<TransactionEntity> Purchases { get; }

    /// <summary>The summary of a customer as their rows stand (<paramref name="row"/> null: no customer row).</summary>
    public static CustomerSummaryRow Of(string customerId, CustomerEntity? row, IEnumerable<TransactionEntity> transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        var purchases = transactions
            .Where(t => t.IsPurchase && !t.Cancelled)
            .OrderBy(t => t.TransactionId, StringComparer.Ordinal)
            .Select(t => new TransactionEntity
            {
                TransactionId = t.TransactionId,
                PurchasedAt = t.PurchasedAt,
                AmountScaled = t.AmountScaled,
                RefundedScaled = t.RefundedScaled,
                OriginalAmountScaled = t.OriginalAmountScaled,
                DiscountScaled = t.DiscountScaled,
                CouponCode = t.CouponCode,
                CampaignId = t.CampaignId,
                ItemsJson = t.ItemsJson,
                RefundedItemsJson = t.RefundedItemsJson,
            })
            .ToList();
        return new CustomerSummaryRow(
            customerId,
            row?.HasContact ?? false,
            row?.Email is { Length: > 0 } email ? HashOf(email.Trim().ToLowerInvariant()) : null,
            row?.PurchaseCount ?? 0,
            row?.GrossAmountScaled ?? 0,
            row?.TotalAmountScaled ?? 0,
            row?.RefundedAmountScaled ?? 0,
            purchases);
    }

    /// <summary>The first 8 bytes of SHA-256 of <paramref name="text"/>: stable across processes, for sampling and grouping.</summary>
    public static long HashOf(string text) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0);

    /// <summary>The purchase history the models see (net of refunds; a wholly refunded purchase is none), or null when none stands.</summary>
    public CustomerHistory? History()
    {
        var purchases = Purchases.Where(p => p.Stands).Select(p => new Purchase(p.PurchasedAt.UtcDateTime, (double)Money.FromScaled(p.NetScaled))).ToList();
        return purchases.Count == 0 ? null : new CustomerHistory(CustomerId, purchases);
    }

    /// <summary>The customer's baskets by time, as <see cref="BasketReader"/> builds them from the purchase rows.</summary>
    public List<Basket> Baskets() => BasketReader.Sorted(Purchases.Select(p => BasketReader.ToBasket(CustomerId, p)).OfType<Basket>());

    /// <summary>
    /// The row to store: the quality fields as columns and the purchases packed (Brotli over a small binary layout)
    /// in 64 KB binary properties <c>P0..P3</c>; <c>Overflow</c> instead when they do not fit.
    /// </summary>
    public TableEntity ToEntity(string partition)
    {
        var entity = new TableEntity(partition, CrmKeys.SummaryRow(CustomerId))
        {
            ["CustomerId"] = CustomerId,
            ["V"] = (int)FormatVersion,
            [nameof(HasContact)] = HasContact,
            [nameof(PurchaseCount)] = PurchaseCount,
            [nameof(GrossAmountScaled)] = GrossAmountScaled,
            [nameof(TotalAmountScaled)] = TotalAmountScaled,
            [nameof(RefundedAmountScaled)] = RefundedAmountScaled,
        };
        if (EmailHash is { } hash)
        {
            entity[nameof(EmailHash)] = hash;
        }

        var packed = Pack();
        if (packed.Length > ChunkBytes * MaxChunks)
        {
            entity["Overflow"] = true;
            return entity;
        }

        for (var i = 0; i * ChunkBytes < packed.Length; i++)
        {
            entity[Chunk + i] = packed.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, packed.Length - (i * ChunkBytes))).ToArray();
        }

        return entity;
    }

    /// <summary>How many bytes the stored row's purchases take (what counts against a batch's 4 MiB).</summary>
    public static int SizeOf(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return ((IDictionary<string, object>)entity).Values.OfType<byte[]>().Sum(chunk => chunk.Length) + 512;
    }

    /// <summary>A stored summary row, or null when it is marked <c>Overflow</c> (read the customer's range instead).</summary>
    public static CustomerSummaryRow? FromEntity(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (entity.GetBoolean("Overflow") == true)
        {
            return null;
        }

        if (entity.GetInt32("V") != FormatVersion)
        {
            throw new InvalidDataException($"A summary row in partition {entity.PartitionKey} has format {entity.GetInt32("V")}, this build reads {FormatVersion}.");
        }

        using var packed = new MemoryStream();
        for (var i = 0; entity.GetBinary(Chunk + i) is { } chunk; i++)
        {
            packed.Write(chunk);
        }

        packed.Position = 0;
        return new CustomerSummaryRow(
            entity.GetString("CustomerId") ?? entity.RowKey[1..],
            entity.GetBoolean(nameof(HasContact)) ?? false,
            entity.GetInt64(nameof(EmailHash)),
            entity.GetInt32(nameof(PurchaseCount)) ?? 0,
            entity.GetInt64(nameof(GrossAmountScaled)) ?? 0,
            entity.GetInt64(nameof(TotalAmountScaled)) ?? 0,
            entity.GetInt64(nameof(RefundedAmountScaled)) ?? 0,
            packed.Length == 0 ? [] : Unpack(packed));
    }

    private byte[] Pack()
    {
        using var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new BinaryWriter(brotli, Encoding.UTF8))
        {
            writer.Write(Purchases.Count);
            foreach (var p in Purchases)
            {
                writer.Write(p.TransactionId);
                writer.Write(p.PurchasedAt.UtcTicks);
                writer.Write(p.AmountScaled);
                writer.Write(p.RefundedScaled);
                WriteOptional(writer, p.OriginalAmountScaled);
                WriteOptional(writer, p.DiscountScaled);
                WriteOptional(writer, p.CouponCode);
                WriteOptional(writer, p.CampaignId);
                WriteOptional(writer, p.ItemsJson);
                WriteOptional(writer, p.RefundedItemsJson);
            }
        }

        return Purchases.Count == 0 ? [] : output.ToArray();
    }

    private static List<TransactionEntity> Unpack(Stream packed)
    {
        using var brotli = new BrotliStream(packed, CompressionMode.Decompress);
        using var reader = new BinaryReader(brotli, Encoding.UTF8);
        var count = reader.ReadInt32();
        var purchases = new List<TransactionEntity>(count);
        for (var i = 0; i < count; i++)
        {
            purchases.Add(new TransactionEntity
            {
                TransactionId = reader.ReadString(),
                PurchasedAt = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero),
                AmountScaled = reader.ReadInt64(),
                RefundedScaled = reader.ReadInt64(),
                OriginalAmountScaled = ReadOptionalLong(reader),
                DiscountScaled = ReadOptionalLong(reader),
                CouponCode = ReadOptionalString(reader),
                CampaignId = ReadOptionalString(reader),
                ItemsJson = ReadOptionalString(reader),
                RefundedItemsJson = ReadOptionalString(reader),
            });
        }

        return purchases;
    }

    private static void WriteOptional(BinaryWriter writer, long? value)
    {
        writer.Write(value.HasValue);
        if (value is { } v)
        {
            writer.Write(v);
        }
    }

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static long? ReadOptionalLong(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadInt64() : null;

    private static string? ReadOptionalString(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;
}
