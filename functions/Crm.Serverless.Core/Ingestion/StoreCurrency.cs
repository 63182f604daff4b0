using Azure;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Ingestion;

/// <summary>The configured reporting currency is not the one the store already keeps its amounts in.</summary>
public sealed class CurrencyMismatchException(string message) : Exception(message);

/// <summary>
/// The one currency a store keeps amounts in. Totals, models and CLV add amounts up, so a store never mixes
/// currencies: it records its currency once (from <c>Ingest:ReportingCurrency</c> when set, else the currency of
/// the first purchase it accepts) in the Settings table, and every door (HTTP, queue, CSV) checks each purchase
/// against it. A purchase in another currency is refused unless it carries <c>amountInReportingCurrency</c>.
/// </summary>
/// <remarks>
/// Recording is an insert of one row: of two first writers with different currencies, one insert succeeds and the
/// other gets 409 and re-reads, so both end with the same currency. The value never changes afterwards, so it is
/// cached for the life of the process.
/// </remarks>
public sealed class StoreCurrency(CrmTables tables, IOptions<IngestOptions> options, ILogger<StoreCurrency> logger)
{
    public const string SettingName = "reportingCurrency";

    private volatile string? _currency;

    /// <summary>The store's currency, or null while it has none and none is configured (it adopts the first purchase's).</summary>
    /// <exception cref="CurrencyMismatchException">The configuration names another currency than the store keeps.</exception>
    public async Task<string?> GetAsync(CancellationToken cancellationToken)
    {
        if (_currency is { } known)
        {
            return known;
        }

        // An empty setting (the Bicep default) means none.
        var configured = string.IsNullOrWhiteSpace(options.Value.ReportingCurrency) ? null : options.Value.ReportingCurrency;
        var stored = await ReadAsync(cancellationToken);
        if (stored is null && configured is not null)
        {
            stored = await RecordAsync(configured, cancellationToken);
        }

        if (stored is not null && configured is not null && !string.Equals(stored, configured, StringComparison.Ordinal))
        {
            throw new CurrencyMismatchException(
                $"This store keeps amounts in {stored}, but Ingest:ReportingCurrency is {configured}. Amounts in two currencies cannot be added up: " +
                $"set Ingest:ReportingCurrency to {stored} (or remove it), or use a new store (crm --store NAME, or Storage:TablePrefix) for {configured}.");
        }

        return _currency = stored;
    }

    /// <summary>The store's currency; when it has none yet, <paramref name="candidate"/> (the first accepted purchase's) becomes it.</summary>
    public async Task<string> ResolveAsync(string candidate, CancellationToken cancellationToken)
        => await GetAsync(cancellationToken) ?? (_currency = await RecordAsync(candidate, cancellationToken));

    /// <summary>
    /// The store's currency for a batch of parsed purchases: recorded or configured, else adopted from the first
    /// valid purchase that carries no conversion. Null when the batch has none and the store no currency yet.
    /// </summary>
    public async Task<string?> ResolveAsync(IEnumerable<Transaction> valid, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(valid);
        if (await GetAsync(cancellationToken) is { } known)
        {
            return known;
        }

        return valid.FirstOrDefault(t => t.AmountInReportingCurrency is null && t.Kind != TransactionKind.Cancel) is { } first
            ? await ResolveAsync(first.Currency, cancellationToken)
            : null;
    }

    /// <summary>Why a valid purchase cannot be stored in a store keeping <paramref name="storeCurrency"/>; null when it can.</summary>
    public static FieldError? Check(Transaction transaction, string? storeCurrency, string prefix)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction.Kind == TransactionKind.Cancel)
        {
            // A cancel moves no money: it undoes its purchase, whatever currency that was stored in.
            return null;
        }

        if (storeCurrency is null)
        {
            return new FieldError(prefix + "amountInReportingCurrency",
                "cannot be used yet: this store has no reporting currency; set Ingest:ReportingCurrency, or send a purchase in the reporting currency first");
        }

        if (string.Equals(transaction.Currency, storeCurrency, StringComparison.Ordinal))
        {
            return transaction.AmountInReportingCurrency is { } converted && converted != transaction.Amount
                ? new FieldError(prefix + "amountInReportingCurrency", $"must equal amount (or be left out): the purchase is already in {storeCurrency}")
                : null;
        }

        return transaction.AmountInReportingCurrency is null
            ? new FieldError(prefix + "currency",
                $"is {transaction.Currency} but this store keeps amounts in {storeCurrency}; add amountInReportingCurrency (the amount in {storeCurrency}), " +
                $"or keep {transaction.Currency} data in a store of its own (crm --store NAME, or Storage:TablePrefix)")
            : null;
    }

    private async Task<string?> ReadAsync(CancellationToken cancellationToken)
    {
        var row = await tables.Settings.GetEntityIfExistsAsync<StoreSettingEntity>(StoreSettingEntity.StorePartition, SettingName, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value!.Value : null;
    }

    private async Task<string> RecordAsync(string currency, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Settings.AddEntityAsync(new StoreSettingEntity { RowKey = SettingName, Value = currency }, cancellationToken);
            logger.LogInformation("The store now keeps amounts in {Currency}", currency);
            return currency;
        }
        catch (RequestFailedException exception) when (exception.Status == 409)
        {
            // Another writer recorded first; its currency is the store's.
            return await ReadAsync(cancellationToken)
                ?? throw new InvalidOperationException("The store's currency row was reported as existing but cannot be read.", exception);
        }
    }
}
