using System.CommandLine;
using System.CommandLine.Parsing;
using Crm.Serverless.Cli.Commands;
using Crm.Serverless.Cli.Stores;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Cli;

/// <summary>
/// The command tree; <c>Program</c> and the tests both run it. Exit codes: 0 done, 1 a user error (the message says
/// what to do; a command line that is itself wrong is one too), 70 a bug (one line here, details in a log).
/// </summary>
public static class CrmCommandLine
{
    public const int UserError = 1;

    /// <summary>A wrong command line is the user's to fix like any other input, so it exits 1 too (not System.CommandLine's 2).</summary>
    public const int UsageError = UserError;

    /// <summary>EX_SOFTWARE from sysexits.h: something the user could not have caused.</summary>
    public const int Bug = 70;

    public static async Task<int> RunAsync(string[] args)
    {
        var store = new Option<string?>("--store")
        {
            Description = "The store (data set) to work on: its own tables, queues and containers " +
                          "(default: Storage__TablePrefix when set, else the store last used, else the default store; `crm stores list`)",
            Recursive = true,
        };
        var root = new RootCommand("crm: the Crm.Serverless command line (local demo, bulk import, train, score, export, report, erase).")
        {
            DemoCommand.Create(),
            ImportCommand.Create(),
            ExportCommand.Create(),
            CampaignsCommand.Create(),
            TrainCommand.CreateTrain(),
            TrainCommand.CreateScore(),
            RunsCommand.Create(),
            ModelsCommand.Create(),
            ClvCommand.Create(),
            GenerateCommand.Create(),
            EvaluateCommand.Create(),
            EraseCommand.Create(),
            ReportCommand.Create(),
            BenchCommand.Create(),
            StoresCommand.Create(),
            ServeCommand.Create(),
        };
        root.Options.Add(store);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message);
            }

            await Console.Error.WriteLineAsync($"Run `{CommandPath(parse)} --help` for usage.");
            return UsageError;
        }

        // A store name is a value the user typed, not command-line syntax, so a bad one is a user error.
        if (parse.GetValue(store) is { } named && Store.Check(named) is { } problem)
        {
            await Console.Error.WriteLineAsync("--store " + problem + ".");
            return UserError;
        }

        try
        {
            CliHost.Store = ChooseStore(parse.GetValue(store));
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            // Before the storage check: a file that is not there is an IOException too, and it is the user's to fix.
            await Console.Error.WriteLineAsync(exception.Message);
            return UserError;
        }
        catch (CsvFormatException exception)
        {
            // Missing, unreadable or malformed input: the message names the file and the fix.
            await Console.Error.WriteLineAsync(exception.Message);
            return UserError;
        }
        catch (CurrencyMismatchException exception)
        {
            await Console.Error.WriteLineAsync(exception.Message);
            return UserError;
        }
        catch (Exception exception) when (StorageFailure.IsTransient(exception))
        {
            // The usual cause is no Azurite running: only `crm demo` starts one.
            await Console.Error.WriteLineAsync(
                "Storage cannot be reached. Start Azurite (`./crm demo` starts it, or `npx azurite --location .azurite`) " +
                "or point CrmStorage at your storage account, then run the command again.");
            return UserError;
        }
        catch (InsufficientDataException exception)
        {
            await Console.Error.WriteLineAsync("Not enough data yet: " + exception.Message);
            return UserError;
        }
        catch (RunInProgressException exception)
        {
            await Console.Error.WriteLineAsync(exception.Message);
            return UserError;
        }
        catch (Core.Nightly.NightStalledException exception)
        {
            // Recorded per shard: the message says how to finish the run.
            await Console.Error.WriteLineAsync(exception.Message);
            return UserError;
        }
        catch (OptionsValidationException exception)
        {
            await Console.Error.WriteLineAsync("The configuration is invalid: " + string.Join(" ", exception.Failures));
            return UserError;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("Cancelled.");
            return 130;
        }
        catch (Exception exception)
        {
            // A bug: the user gets one line and where the details are, not a stack trace on the terminal.
            var log = CrashLog.Write(exception, CliHost.RepositoryRoot());
            await Console.Error.WriteLineAsync($"crm failed unexpectedly ({exception.GetType().Name}: {exception.Message}). This is a bug; " +
                                               (log is null ? "please report it with the command you ran." : $"the details are in {log}."));
            return Bug;
        }
    }

    /// <summary>Precedence: --store, then an explicit Storage__TablePrefix, then the remembered store, then the default.</summary>
    private static Store ChooseStore(string? option)
    {
        if (option is not null)
        {
            return Store.Named(option, StoreSource.Option);
        }

        if (Environment.GetEnvironmentVariable("Storage__TablePrefix") is { } prefix)
        {
            return new Store(prefix, StoreSource.Environment);
        }

        return RememberedStore.Read(CliHost.RepositoryRoot()) ?? Store.Default;
    }

    /// <summary>"crm models promote" for a parse that got as far as that command.</summary>
    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is CommandResult { Command: not RootCommand } command; result = command.Parent)
        {
            names.Insert(0, command.Command.Name);
        }

        return string.Join(' ', ["crm", .. names]);
    }
}
