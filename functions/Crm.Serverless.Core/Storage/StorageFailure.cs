using System.Net.Sockets;
using Azure;

namespace Crm.Serverless.Core.Storage;

/// <summary>Whether an exception means "storage is down or busy, try again" rather than a bug.</summary>
public static class StorageFailure
{
    public const int RetryAfterSeconds = 5;

    public static bool IsTransient(Exception exception) => exception switch
    {
        RequestFailedException failed => failed.Status is 0 or 408 or 429 or >= 500,
        // A file that is not there is an IOException as well, but no outage: the caller named the wrong file.
        FileNotFoundException or DirectoryNotFoundException => false,
        HttpRequestException or SocketException or IOException or TimeoutException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsTransient),
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}
