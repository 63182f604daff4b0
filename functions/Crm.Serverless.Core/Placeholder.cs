namespace Crm.Serverless.Core;
