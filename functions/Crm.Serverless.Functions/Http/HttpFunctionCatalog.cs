using System.Reflection;
using Crm.Serverless.Functions.Middleware;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Http;

/// <summary>One HTTP function as the worker SDK declares it: the same facts it writes to functions.metadata.</summary>
public sealed record HttpFunction(string Name, AuthorizationLevel AuthLevel, IReadOnlyList<string> Methods, string Route, MethodInfo Method)
{
    /// <summary>The Entra app role a caller needs (<see cref="AppRoles.For"/>); null for the open functions.</summary>
    public string? Role => AppRoles.For(AuthLevel, Methods);
}

/// <summary>
/// Every HTTP function of this assembly, read from the <c>[Function]</c> and <c>[HttpTrigger]</c> attributes the
/// worker SDK reads when it generates functions.metadata. <c>crm serve</c> maps exactly these, and the role check
/// looks functions up here, so neither keeps a second list that could drift from the Functions app.
/// </summary>
public static class HttpFunctionCatalog
{
    public static IReadOnlyList<HttpFunction> All { get; } = Read(typeof(HttpFunctionCatalog).Assembly);

    private static readonly Dictionary<string, HttpFunction> ByName = All.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public static HttpFunction? Find(string name) => ByName.GetValueOrDefault(name);

    private static List<HttpFunction> Read(Assembly assembly)
        => [.. from type in assembly.GetTypes()
               from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
               let function = method.GetCustomAttribute<FunctionAttribute>()
               let trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(t => t is not null)
               where function is not null && trigger is not null
               orderby function.Name
               select new HttpFunction(
                   function.Name,
                   trigger.AuthLevel,
                   (trigger.Methods ?? []).Select(m => m.ToLowerInvariant()).ToArray(),
                   trigger.Route ?? function.Name,
                   method)];
}
