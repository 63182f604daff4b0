using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Tests;

public class CustomerHistoryTests
{
    [Fact]
    public void Constructor_UnsortedPurchases_SortsOldestFirst()
    {
        var history = new CustomerHistory("c1", [
            new Purchase(new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc), 5),
            new Purchase(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), 7),
        ]);

        Assert.Equal(7, history.Purchases[0].Amount);
        Assert.Equal(5, history.Purchases[1].Amount);
    }
}
