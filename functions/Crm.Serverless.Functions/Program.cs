using Crm.Serverless.Core;
using Crm.Serverless.Functions;
using Crm.Serverless.Functions.Middleware;
using Crm.Serverless.Ml;
using Crm.Serverless.Reporting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<ExceptionMiddleware>();
builder.UseMiddleware<AppRoleMiddleware>();
builder.AddCrmCore();
builder.AddCrmReporting();
builder.AddCrmMl();
builder.AddCrmFunctions();
builder.Build().Run();
