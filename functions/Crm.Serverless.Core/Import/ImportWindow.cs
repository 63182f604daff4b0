using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Validation;

namespace Crm.Serverless.Core.Import;

/// <summary>
/// The window loop of every row import (<see cref="ImportService"/> for purchases and contacts,
/// <see cref="InteractionImportService"/> for interactions): valid rows are held with where each came from and
/// written when the window is full or the file ends, invalid rows become rejections, and what the written rows
/// came to is tallied. Memory holds one window, not the file.
/// </summary>
/// <param name="capacity">Rows held before they are written (at least one).</param>
/// <param name="write">Writes one window; reports per written item to the progress it is given.</param>
/// <param name="customerOf">The customer of a held row, for its rejection.</param>
/// <param name="conflictReason">Why a row whose id is stored with other content was refused, when the writer does not say.</param>
/// <param name="progress">Rows written so far of those read so far.</param>
internal sealed class ImportWindow<TWrite>(
    int capacity,
    Func<IReadOnlyList<TWrite>, IProgress<int>?, Task<WriteOutcome[]>> write,
    Func<TWrite, string> customerOf,
    string conflictReason,
    IProgress<(int Done, int Total)>? progress)
{
    private readonly int _capacity = Math.Max(1, capacity);
    private readonly List<TWrite> _writes = [];
    private readonly List<(string File, int Line)> _origins = [];
    private readonly List<ImportRejection> _rejections = [];
    private int _done;

    public int Stored { get; private set; }

    public int AlreadyStored { get; private set; }

    public int Updated { get; private set; }

    public int Stale { get; private set; }

    /// <summary>The rows not stored, by file and line.</summary>
    public IReadOnlyList<ImportRejection> Rejections => [.. _rejections.OrderBy(r => r.File, StringComparer.Ordinal).ThenBy(r => r.Line)];

    /// <summary>Takes one parsed row: a valid one into the window, written once the window is full; an invalid one is rejected.</summary>
    public async Task AddAsync<T>(ParsedItem<T> item, string file, Func<T, TWrite> toWrite)
        where T : class
    {
        if (item.Value is { } value)
        {
            _writes.Add(toWrite(value));
            _origins.Add((file, item.Index));
        }
        else
        {
            _rejections.Add(new ImportRejection(file, item.Index, item.CustomerId, IngestStatus.Rejected, ImportRejection.Describe(item.Errors)));
        }

        if (_writes.Count >= _capacity)
        {
            await FlushAsync();
        }
    }

    /// <summary>Writes the rows held; call once more after the last row.</summary>
    public async Task FlushAsync()
    {
        if (_writes.Count == 0)
        {
            return;
        }

        // The total grows window by window: the bar shows the rows read so far, not the whole file.
        var total = _done + _writes.Count;
        var itemProgress = progress is null ? null : new CallingThreadProgress(n => progress.Report((Interlocked.Add(ref _done, n), total)));
        var statuses = await write(_writes, itemProgress);
        for (var i = 0; i < statuses.Length; i++)
        {
            switch (statuses[i].Status)
            {
                case IngestStatus.Accepted:
                    Stored++;
                    break;
                case IngestStatus.Duplicate:
                    AlreadyStored++;
                    break;
                case IngestStatus.Updated:
                    Updated++;
                    break;
                case IngestStatus.Stale:
                    Stale++;
                    break;
                default:
                    var (file, line) = _origins[i];
                    _rejections.Add(new ImportRejection(file, line, customerOf(_writes[i]), statuses[i].Status,
                        statuses[i].Error is { } error ? $"{error.Field}: {error.Message}" : conflictReason));
                    break;
            }
        }

        _done = total;
        _writes.Clear();
        _origins.Clear();
    }

    /// <summary>Reports on the calling thread; <see cref="Progress{T}"/> would post to a thread pool and reorder.</summary>
    private sealed class CallingThreadProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
