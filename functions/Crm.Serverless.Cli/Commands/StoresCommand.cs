using System.CommandLine;
using Azure.Data.Tables;
using Crm.Serverless.Cli.Stores;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Serverless.Cli.Commands;

/// <summary><c>crm stores list | delete NAME [--yes]</c>: the data sets in the storage account, one table prefix each.</summary>
internal static class StoresCommand
{
    /// <summary>Every store has a customers table, so the account's tables ending in this name are its stores.</summary>
    private const string CustomersSuffix = "Customers";

    public static Command Create()
    {
        var list = new Command("list", "Each store in the storage account with its customers and transactions; * marks the remembered one.");
        list.SetAction((_, cancellationToken) => ListAsync(cancellationToken));

        var name = new Argument<string>("NAME") { Description = "The store to delete, as `crm stores list` names it" };
        var yes = new Option<bool>("--yes") { Description = "Delete without asking (needed when there is no terminal to ask on)" };
        var delete = new Command("delete", "Delete a store: its tables, queues and containers with all their data.") { name, yes };
        delete.SetAction((parse, cancellationToken) => DeleteAsync(parse.GetValue(name)!, parse.GetValue(yes), cancellationToken));

        return new Command("stores", "The stores (data sets) in the storage account: `--store NAME` picks one for any command.") { list, delete };
    }

    private static async Task<int> ListAsync(CancellationToken cancellationToken)
    {
        var remembered = RememberedStore.Read(CliHost.RepositoryRoot());
        var prefixes = await FindPrefixesAsync(cancellationToken);
        if (prefixes.Count == 0)
        {
            Console.WriteLine("No stores yet: `./crm demo` makes one.");
            return 0;
        }

        Console.WriteLine($"  {"store",-32} {"customers",12} {"transactions",13} {"contacts",10}");
        foreach (var prefix in prefixes)
        {
            using var host = CliHost.Build(Store.SettingsFor(prefix));
            StoredCounts counts;
            try
            {
                counts = await host.Services.GetRequiredService<CustomerReader>().CountAsync(cancellationToken);
            }
            catch (Azure.RequestFailedException exception) when (exception.Status == 404)
            {
                // Deleted between listing the tables and counting them (another `crm stores delete`): it is gone.
                continue;
            }

            var mark = remembered is not null && string.Equals(remembered.Name, prefix, StringComparison.OrdinalIgnoreCase) ? "*" : " ";
            Console.WriteLine($"{mark} {(prefix.Length == 0 ? Store.DefaultName : prefix),-32} {counts.Customers,12:N0} {counts.Transactions,13:N0} {counts.Contacts,10:N0}");
        }

        Console.WriteLine(remembered is null
            ? "No store is remembered: commands without --store use the default store."
            : $"* {remembered.DisplayName}: the remembered store, used by commands without --store.");
        return 0;
    }

    private static async Task<int> DeleteAsync(string name, bool yes, CancellationToken cancellationToken)
    {
        if (Store.Check(name) is { } problem)
        {
            await Console.Error.WriteLineAsync(problem + ".");
            return CrmCommandLine.UserError;
        }

        var store = Store.Named(name, StoreSource.Option);
        var prefixes = await FindPrefixesAsync(cancellationToken);
        if (!prefixes.Any(p => string.Equals(p, store.Name, StringComparison.OrdinalIgnoreCase)))
        {
            await Console.Error.WriteLineAsync($"No store '{store.DisplayName}'. Stores: {(prefixes.Count == 0 ? "none" : string.Join(", ", prefixes.Select(p => p.Length == 0 ? Store.DefaultName : p)))}.");
            return CrmCommandLine.UserError;
        }

        if (!yes)
        {
            // Only a person at a terminal can answer; a script must say --yes, so nothing is deleted by a stray newline.
            if (Console.IsInputRedirected)
            {
                await Console.Error.WriteLineAsync($"Not deleting store {store.DisplayName}: there is no terminal to confirm on. Add --yes to delete it and all its data.");
                return CrmCommandLine.UserError;
            }

            Console.Write($"Delete store {store.DisplayName} and all its data? [y/N] ");
            if (Console.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes"))
            {
                Console.WriteLine("Nothing deleted.");
                return CrmCommandLine.UserError;
            }
        }

        using var host = CliHost.Build(Store.SettingsFor(prefixes.First(p => string.Equals(p, store.Name, StringComparison.OrdinalIgnoreCase))));
        var tables = host.Services.GetRequiredService<CrmTables>();
        await tables.DeleteAllAsync(cancellationToken);
        Console.WriteLine($"Deleted store {store.DisplayName}: tables {string.Join(", ", tables.AllTables.Select(t => t.Name))}; " +
                          $"queues {string.Join(", ", tables.AllQueues.Select(q => q.Name))}; containers {string.Join(", ", tables.AllContainers.Select(c => c.Name))}");
        if (RememberedStore.Forget(CliHost.RepositoryRoot(), store))
        {
            Console.WriteLine("It was the remembered store: commands without --store now use the default store.");
        }

        return 0;
    }

    /// <returns>The table prefix of every store in the account, in name order ("" is the default store).</returns>
    private static async Task<List<string>> FindPrefixesAsync(CancellationToken cancellationToken)
    {
        using var host = CliHost.Build(Store.SettingsFor(""));
        var prefixes = new List<string>();
        await foreach (var table in host.Services.GetRequiredService<TableServiceClient>().QueryAsync(cancellationToken: cancellationToken))
        {
            if (table.Name.EndsWith(CustomersSuffix, StringComparison.Ordinal) && table.Name[..^CustomersSuffix.Length] is var prefix
                && (prefix.Length == 0 || (char.IsAsciiLetter(prefix[0]) && prefix.All(char.IsAsciiLetterOrDigit) && prefix.Length <= Store.MaxLength)))
            {
                prefixes.Add(prefix);
            }
        }

        prefixes.Sort(StringComparer.OrdinalIgnoreCase);
        return prefixes;
    }
}
