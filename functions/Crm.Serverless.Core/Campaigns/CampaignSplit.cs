using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Crm.Serverless.Core.Campaigns;

/// <summary>
/// The random split into treatment and control, as a pure function of (seed, campaign key, customer id): a customer
/// is in the control group when the SHA-256 of the three, read as a number in [0, 1), falls below the control share.
/// So the assignment does not depend on the order customers are read in, creating again with the same seed gives the
/// same split, and a reader can recompute any member's group from the stored record.
/// </summary>
public static class CampaignSplit
{
    public static CampaignGroup Assign(long seed, string campaignKey, string customerId, double controlShare)
        => Uniform(seed, campaignKey, customerId) < controlShare ? CampaignGroup.Control : CampaignGroup.Treatment;

    /// <summary>The first 53 bits of the hash as a double in [0, 1): every value equally likely.</summary>
    public static double Uniform(long seed, string campaignKey, string customerId)
    {
        ArgumentNullException.ThrowIfNull(campaignKey);
        ArgumentNullException.ThrowIfNull(customerId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{seed}|{campaignKey}|{customerId}")), hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }
}
