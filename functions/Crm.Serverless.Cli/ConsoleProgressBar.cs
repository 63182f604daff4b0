namespace Crm.Serverless.Cli;

/// <summary>A one-line progress bar on a terminal; a few plain lines when output is redirected (CI logs).</summary>
internal sealed class ConsoleProgressBar(string label) : IProgress<(int Done, int Total)>, IDisposable
{
    private const int Width = 30;
    private readonly Lock _gate = new();
    private readonly bool _interactive = !Console.IsOutputRedirected;
    private int _lastQuarter = -1;
    private long _lastDrawTicks;

    public void Report((int Done, int Total) value)
    {
        lock (_gate)
        {
            var (done, total) = value;
            var fraction = total == 0 ? 1 : Math.Clamp((double)done / total, 0, 1);
            if (_interactive)
            {
                var now = Environment.TickCount64;
                if (now - _lastDrawTicks < 100 && done < total)
                {
                    return;
                }

                _lastDrawTicks = now;
                var filled = (int)(fraction * Width);
                Console.Write($"\r{label} [{new string('#', filled)}{new string('.', Width - filled)}] {fraction,4:P0} {done:N0}/{total:N0}");
            }
            else if ((int)(fraction * 4) is var quarter && quarter > _lastQuarter)
            {
                _lastQuarter = quarter;
                Console.WriteLine($"{label}: {fraction:P0} ({done:N0}/{total:N0})");
            }
        }
    }

    public void Dispose()
    {
        if (_interactive)
        {
            Console.WriteLine();
        }
    }
}
