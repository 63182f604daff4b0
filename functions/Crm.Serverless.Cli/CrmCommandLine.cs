using System.CommandLine;
using Crm.Serverless.Cli.Commands;
using Crm.Serverless.Core.Import;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Cli;

/// <summary>The command tree; <c>Program</c> and the tests both run it.</summary>
public static class CrmCommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("crm: the Crm.Serverless command line (local demo, bulk import, train, score, export, report, erase).")
        {
            DemoCommand.Create(),
            ImportCommand.Create(),
            ExportCommand.Create(),
            TrainCommand.CreateTrain(),
            TrainCommand.CreateScore(),
            ModelsCommand.Create(),
            ClvCommand.Create(),
            GenerateCommand.Create(),
            EvaluateCommand.Create(),
            EraseCommand.Create(),
            ReportCommand.Create(),
            BenchCommand.Create(),
        };
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CsvFormatException exception)
        {
            // Missing, unreadable or malformed input: the message names the file and the fix.
            await Console.Error.WriteLineAsync(exception.Message);
            return 1;
        }
        catch (CurrencyMismatchException exception)
        {
            await Console.Error.WriteLineAsync(exception.Message);
            return 1;
        }
        catch (Exception exception) when (StorageFailure.IsTransient(exception))
        {
            // The usual cause is no Azurite running: only `crm demo` starts one.
            await Console.Error.WriteLineAsync(
                "Storage cannot be reached. Start Azurite (`./crm demo` starts it, or `npx azurite --location .azurite`) " +
                "or point CrmStorage at your storage account, then run the command again.");
            return 1;
        }
        catch (InsufficientDataException exception)
        {
            await Console.Error.WriteLineAsync("Not enough data yet: " + exception.Message);
            return 1;
        }
    }
}
