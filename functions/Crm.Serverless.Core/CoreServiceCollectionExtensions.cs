using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Crm.Serverless.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers storage, validation, ingestion, import and the data-subject services (erase, access export). The Functions app, the CLI and the tests all call this,
    /// so they run the same services with the same options.
    /// </summary>
    public static IHostApplicationBuilder AddCrmCore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<NightlyOptions>().BindConfiguration(NightlyOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StorageRequestCounter>();
        services.AddSingleton<StorageClientFactory>();
        services.AddSingleton<TableServiceClient>(sp => sp.GetRequiredService<StorageClientFactory>().CreateTableServiceClient());
        services.AddSingleton<QueueServiceClient>(sp => sp.GetRequiredService<StorageClientFactory>().CreateQueueServiceClient());
        services.AddSingleton<BlobServiceClient>(sp => sp.GetRequiredService<StorageClientFactory>().CreateBlobServiceClient());
        services.AddSingleton<CrmTables>();
        services.AddHostedService<StorageInitializer>();

        services.AddSingleton<TransactionRules>();
        services.AddSingleton<ContactRules>();
        services.AddSingleton<IngestJsonParser>();
        services.AddSingleton<CsvItemReader>();

        services.AddSingleton<StoreCurrency>();
        services.AddSingleton<PartitionWriter>();
        services.AddSingleton<IngestService>();
        services.AddSingleton<RejectedItemStore>();
        services.AddSingleton<QueueIngestProcessor>();
        services.AddSingleton<CustomerReader>();
        services.AddSingleton<ImportService>();
        services.AddSingleton<Export.CustomerCsvExporter>();
        services.AddSingleton<Export.ProductCsvExporter>();

        // Interactions (issue 15): their own parser, rules, writer and reader over the Interactions table.
        services.AddSingleton<InteractionRules>();
        services.AddSingleton<InteractionJsonParser>();
        services.AddSingleton<InteractionCsvReader>();
        services.AddSingleton<InteractionWriter>();
        services.AddSingleton<InteractionIngestService>();
        services.AddSingleton<InteractionImportService>();
        services.AddSingleton<InteractionReader>();
        services.AddSingleton<InteractionActivityStore>();

        services.AddSingleton<HistoryReader>();
        services.AddSingleton<BasketReader>();
        services.AddSingleton<ShardSummaryReader>();
        services.AddSingleton<Products.ProductFactsService>();
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<ModelTrainingService>();
        services.AddSingleton<RunStore>();
        services.AddSingleton<RunLease>();
        services.AddSingleton<RunPublisher>();
        services.AddSingleton<ShardScoreWriter>();
        services.AddSingleton<Nightly.NightlyArtefacts>();
        services.AddSingleton<Nightly.NightProgress>();
        services.AddSingleton<Nightly.ShardInteractions>();
        services.AddSingleton<Nightly.ShardPartials>();
        services.AddSingleton<Nightly.SummariseShard>();
        services.AddSingleton<Nightly.FitModels>();
        services.AddSingleton<Nightly.ScoreShard>();
        services.AddSingleton<Nightly.WriteRunArtefacts>();
        services.AddSingleton<Nightly.CompleteRun>();
        services.AddSingleton<Nightly.NightlyJob>();
        services.AddSingleton<SegmentReader>();
        services.AddSingleton<Privacy.CustomerPrivacyService>();
        services.AddSingleton<Privacy.EraseLog>();
        services.AddSingleton<Campaigns.CampaignStore>();
        services.AddSingleton<Campaigns.CampaignService>();
        services.AddSingleton<Campaigns.CampaignRunFigures>();
        services.AddSingleton<Import.BasketFileReader>();
        services.AddSingleton<Recommendations.RecommendationStages>();
        services.AddSingleton<Recommendations.RecommendationReader>();
        return builder;
    }
}
