namespace Crm.Serverless.Cli.Stores;

/// <summary>
/// The store the last <c>crm demo</c> (or command given --store) used, kept in <c>.crm/store</c> under the
/// repository root, so <c>crm export</c> after a demo exports that demo's customers.
/// </summary>
internal static class RememberedStore
{
    private static string PathIn(string root) => Path.Combine(root, ".crm", "store");

    /// <returns>The remembered store, or null when none is (or the file holds no valid name).</returns>
    public static Store? Read(string root)
    {
        var file = PathIn(root);
        if (!File.Exists(file))
        {
            return null;
        }

        var name = File.ReadAllText(file).Trim();
        return Store.Check(name) is null ? Store.Named(name, StoreSource.Remembered) : null;
    }

    public static void Save(string root, Store store)
    {
        ArgumentNullException.ThrowIfNull(store);
        Directory.CreateDirectory(Path.GetDirectoryName(PathIn(root))!);
        File.WriteAllText(PathIn(root), store.DisplayName + Environment.NewLine);
    }

    /// <summary>Forgets <paramref name="store"/> if it is the remembered one (it has just been deleted).</summary>
    public static bool Forget(string root, Store store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (Read(root) is not { } remembered || remembered.Name != store.Name)
        {
            return false;
        }

        File.Delete(PathIn(root));
        return true;
    }
}
