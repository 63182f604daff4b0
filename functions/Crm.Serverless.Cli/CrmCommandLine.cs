using System.CommandLine;
using Crm.Serverless.Cli.Commands;

namespace Crm.Serverless.Cli;

/// <summary>The command tree; <c>Program</c> and the tests both run it.</summary>
public static class CrmCommandLine
{
    public static Task<int> RunAsync(string[] args)
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
        return root.Parse(args).InvokeAsync();
    }
}
