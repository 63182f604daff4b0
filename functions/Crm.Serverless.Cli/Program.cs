using System.CommandLine;
using Crm.Serverless.Cli.Commands;

var root = new RootCommand("crm: the Crm.Serverless command line (local demo, bulk import, export).")
{
    DemoCommand.Create(),
    ImportCommand.Create(),
    ExportCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
