using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Tests.TestData;
using static Crm.Serverless.Ml.Tests.Propensity.Histories;

namespace Crm.Serverless.Ml.Tests.Propensity;

public class CdnowModelTests
{
    [Fact]
    public void Train_CdnowChurnAsOfMarch1998_BeatsBothBaselinesAndIsCalibrated()
    {
        var table = PurchaseTable.From(CdnowCsv.ReadMaster());
        var options = new PropensityOptions { TrainingSpanDays = 90, NumberOfTrees = 100, LearningRate = 0.1 };

        var model = new PropensityTrainer(options).Train(table, Day(1998, 3, 31), PropensityTarget.Churn);

        var holdout = model.Metadata.Holdout;
        Assert.Equal(23_570, table.CustomerCount);
        Assert.Equal(23_570, holdout.Rows);
        Assert.True(holdout.Model.Auc >= 0.79, $"AUC {holdout.Model.Auc:F4}");
        Assert.True(holdout.Model.Auc > holdout.RecencyBaseline.Auc, $"AUC {holdout.Model.Auc:F4} vs recency {holdout.RecencyBaseline.Auc:F4}");
        Assert.True(holdout.Model.Auc > holdout.FrequencyBaseline.Auc, $"AUC {holdout.Model.Auc:F4} vs frequency {holdout.FrequencyBaseline.Auc:F4}");
        Assert.True(holdout.Model.ExpectedCalibrationError <= 0.05, $"ECE {holdout.Model.ExpectedCalibrationError:F4}");
    }
}
