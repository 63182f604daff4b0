using System.Diagnostics;

namespace Crm.Serverless.Cli.Bench;

/// <summary>One step of a write curve: rows in the table before and after it, and the seconds it took.</summary>
internal sealed record CurveStep(long FromRows, long ToRows, double Seconds)
{
    public double RowsPerSecond => Seconds > 0 ? (ToRows - FromRows) / Seconds : 0;
}

/// <summary>
/// Times a table filling up in fixed row steps. Azurite slows as a table grows, so import and raw writes are
/// compared step by step at equal table sizes. The clock runs only while the writer under test runs.
/// </summary>
internal sealed class StepClock(long stepRows)
{
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = new();
    private readonly List<CurveStep> _steps = [];
    private long _markRows;
    private double _markSeconds;
    private long _offset;
    private long _rows;

    public IReadOnlyList<CurveStep> Steps => _steps;

    /// <summary>Starts a part: progress reported from now on counts from <see cref="_rows"/>, the rows already written.</summary>
    public void Resume()
    {
        _offset = _rows;
        _clock.Start();
    }

    public void Pause() => _clock.Stop();

    /// <summary>Rows written so far in the current part; called from any thread.</summary>
    public void Report(long partRows)
    {
        lock (_gate)
        {
            _rows = Math.Max(_rows, _offset + partRows);
            while (_rows >= _markRows + stepRows)
            {
                // Boundaries crossed by one report share its time; the next step then starts from there.
                var seconds = _clock.Elapsed.TotalSeconds;
                _steps.Add(new CurveStep(_markRows, _markRows + stepRows, seconds - _markSeconds));
                _markRows += stepRows;
                _markSeconds = seconds;
            }
        }
    }

    /// <summary>Closes the last, partial step.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_rows > _markRows)
            {
                _steps.Add(new CurveStep(_markRows, _rows, _clock.Elapsed.TotalSeconds - _markSeconds));
                _markRows = _rows;
                _markSeconds = _clock.Elapsed.TotalSeconds;
            }
        }
    }
}
