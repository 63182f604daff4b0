using Crm.Serverless.Ml.Segmentation;

namespace Crm.Serverless.Ml.Tests.Segmentation;

public class QuintileScorerTests
{
    [Fact]
    public void Score_DistinctValues_GivesEqualSizedQuintiles()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToArray();

        var scores = QuintileScorer.Score(values, higherIsBetter: true);

        for (var score = 1; score <= 5; score++)
        {
            Assert.Equal(20, scores.Count(s => s == score));
        }

        Assert.Equal(5, scores[0]);
        Assert.Equal(1, scores[^1]);
    }

    [Fact]
    public void Score_LowerIsBetter_GivesSmallestValuesFive()
    {
        var scores = QuintileScorer.Score([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], higherIsBetter: false);

        Assert.Equal([5, 5, 4, 4, 3, 3, 2, 2, 1, 1], scores);
    }

    [Fact]
    public void Score_Ties_GetTheSameScoreWhateverTheOrder()
    {
        double[] values = [1, 1, 1, 1, 1, 1, 2, 3, 4, 5];
        var shuffled = values.Reverse().ToArray();

        var scores = QuintileScorer.Score(values, higherIsBetter: true);
        var shuffledScores = QuintileScorer.Score(shuffled, higherIsBetter: true);

        Assert.All(scores.Take(6), s => Assert.Equal(1, s));
        Assert.Equal([1, 1, 1, 1, 1, 1, 4, 4, 5, 5], scores);
        Assert.Equal(scores, shuffledScores.Reverse());
    }
}
