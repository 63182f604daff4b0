return await Crm.Serverless.Cli.CrmCommandLine.RunAsync(args);
