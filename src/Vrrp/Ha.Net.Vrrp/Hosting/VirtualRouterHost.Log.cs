using System.Net;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>Log lines in keepalived 2.x wording, so operators' greps keep working. Event ids 1000–1099.</summary>
internal sealed partial class VirtualRouterHost
{
    private static partial class Log
    {
        [LoggerMessage(1000, LogLevel.Information, "({Instance}) Entering MASTER STATE")]
        public static partial void EnteringMaster(ILogger logger, string instance);

        [LoggerMessage(1001, LogLevel.Information, "({Instance}) Entering BACKUP STATE")]
        public static partial void EnteringBackup(ILogger logger, string instance);

        [LoggerMessage(1002, LogLevel.Information, "({Instance}) Entering BACKUP STATE (init)")]
        public static partial void EnteringBackupInit(ILogger logger, string instance);

        [LoggerMessage(1003, LogLevel.Information, "({Instance}) Entering FAULT STATE")]
        public static partial void EnteringFault(ILogger logger, string instance);

        [LoggerMessage(1004, LogLevel.Information, "({Instance}) Stopped")]
        public static partial void Stopped(ILogger logger, string instance);

        [LoggerMessage(1005, LogLevel.Information, "({Instance}) Receive advertisement timeout")]
        public static partial void ReceiveTimeout(ILogger logger, string instance);

        [LoggerMessage(1006, LogLevel.Information, "({Instance}) Master received advert from {Peer} with higher priority {PeerPriority}, ours {Priority}")]
        public static partial void MasterHigherPriority(ILogger logger, string instance, IPAddress? peer, int peerPriority, int priority);

        [LoggerMessage(1007, LogLevel.Information, "({Instance}) Master received advert from {Peer} with same priority {Priority} but higher IP address than ours")]
        public static partial void MasterSamePriorityHigherAddress(ILogger logger, string instance, IPAddress? peer, int priority);

        [LoggerMessage(1008, LogLevel.Information, "({Instance}) Received advert from {Peer} with lower priority {PeerPriority}, ours {Priority}, forcing new election")]
        public static partial void ForcingNewElection(ILogger logger, string instance, IPAddress? peer, int peerPriority, int priority);

        [LoggerMessage(1009, LogLevel.Debug, "({Instance}) received lower priority ({PeerPriority}) advert from {Peer} - discarding")]
        public static partial void DiscardingLowerPriority(ILogger logger, string instance, int peerPriority, IPAddress? peer);

        [LoggerMessage(1010, LogLevel.Debug, "({Instance}) Backup received priority 0 advertisement")]
        public static partial void BackupPriorityZero(ILogger logger, string instance);

        [LoggerMessage(1011, LogLevel.Debug, "({Instance}) Master received priority 0 advertisement")]
        public static partial void MasterPriorityZero(ILogger logger, string instance);

        [LoggerMessage(1012, LogLevel.Debug, "({Instance}) sent 0 priority")]
        public static partial void SentPriorityZero(ILogger logger, string instance);

        [LoggerMessage(1013, LogLevel.Information, "({Instance}) setting VIPs.")]
        public static partial void SettingVips(ILogger logger, string instance);

        [LoggerMessage(1014, LogLevel.Information, "({Instance}) removing VIPs.")]
        public static partial void RemovingVips(ILogger logger, string instance);

        [LoggerMessage(1015, LogLevel.Information, "({Instance}) Sending/queueing gratuitous ARPs on {Interface} for {Address}")]
        public static partial void SendingGratuitous(ILogger logger, string instance, string @interface, IPAddress address);

        [LoggerMessage(1016, LogLevel.Information, "({Instance}) Changing effective priority from {Old} to {New}")]
        public static partial void ChangingPriority(ILogger logger, string instance, int old, int @new);

        [LoggerMessage(1017, LogLevel.Information, "({Instance}) start preempt delay ({Delay} s)")]
        public static partial void PreemptDelayStarted(ILogger logger, string instance, double delay);

        [LoggerMessage(1018, LogLevel.Information, "({Instance}) stop preempt delay")]
        public static partial void PreemptDelayStopped(ILogger logger, string instance);

        [LoggerMessage(1019, LogLevel.Information, "({Instance}) tracked object {Name} is now {State}")]
        public static partial void TrackedObjectState(ILogger logger, string instance, string name, string state);

        [LoggerMessage(1020, LogLevel.Information, "({Instance}) interface {Interface} is now {State}")]
        public static partial void LinkState(ILogger logger, string instance, string @interface, string state);

        [LoggerMessage(1021, LogLevel.Warning, "({Instance}) virtual address {Address} was removed by someone else")]
        public static partial void AddressRemovedExternally(ILogger logger, string instance, IPAddress address);

        [LoggerMessage(1022, LogLevel.Warning, "{Issue}")]
        public static partial void ConfigurationWarning(ILogger logger, VrrpIssueText issue);

        [LoggerMessage(1030, LogLevel.Warning, "({Instance}) wrong VRRP version from {Source}. Received {Received} and expect {Expected}")]
        public static partial void WrongVersion(ILogger logger, string instance, IPAddress source, int received, int expected);

        [LoggerMessage(1031, LogLevel.Warning, "({Instance}) received an invalid passwd from {Source}!")]
        public static partial void InvalidPassword(ILogger logger, string instance, IPAddress source);

        [LoggerMessage(1032, LogLevel.Warning, "({Instance}) advertisement interval mismatch with {Source} mine={Mine} rcv'd={Received}")]
        public static partial void IntervalMismatch(ILogger logger, string instance, IPAddress source, string mine, string received);

        [LoggerMessage(1033, LogLevel.Warning, "({Instance}) received an unexpected ip number count {Received}, expected {Expected}!")]
        public static partial void AddressCountDropped(ILogger logger, string instance, int received, int expected);

        [LoggerMessage(1034, LogLevel.Warning, "({Instance}) expected {Expected} VIPs but received {Received} from {Source} (or a different list)")]
        public static partial void AddressListMismatch(ILogger logger, string instance, int expected, int received, IPAddress source);

        [LoggerMessage(1035, LogLevel.Warning, "({Instance}) Invalid VRRP checksum from {Source}")]
        public static partial void InvalidChecksum(ILogger logger, string instance, IPAddress source);

        [LoggerMessage(1036, LogLevel.Warning, "({Instance}) invalid TTL/HL from {Source}. Received {Ttl} and expect 255")]
        public static partial void InvalidTtl(ILogger logger, string instance, IPAddress source, int ttl);

        [LoggerMessage(1037, LogLevel.Warning, "({Instance}) received an invalid auth type from {Source}")]
        public static partial void AuthTypeMismatch(ILogger logger, string instance, IPAddress source);

        [LoggerMessage(1038, LogLevel.Warning, "({Instance}) received a CARP advertisement from {Source} (ucarp/CARP share protocol 112) - dropping")]
        public static partial void CarpReceived(ILogger logger, string instance, IPAddress source);

        [LoggerMessage(1041, LogLevel.Warning, "({Instance}) received a CARP advertisement from {Source} (ucarp/CARP share protocol 112) - dropping; {Suppressed} more dropped without a line in the last {Seconds} s")]
        public static partial void CarpReceivedAgain(ILogger logger, string instance, IPAddress source, long suppressed, int seconds);

        [LoggerMessage(1039, LogLevel.Debug, "({Instance}) dropped a message from {Source}: {Reason}")]
        public static partial void DroppedDebug(ILogger logger, string instance, IPAddress source, string reason);

        [LoggerMessage(1040, LogLevel.Warning, "({Instance}) dropped a message from {Source}: {Reason}")]
        public static partial void Dropped(ILogger logger, string instance, IPAddress source, string reason);

        [LoggerMessage(1050, LogLevel.Error, "({Instance}) failed to send an advertisement to {Destination}")]
        public static partial void SendFailed(ILogger logger, Exception exception, string instance, IPAddress destination);

        [LoggerMessage(1051, LogLevel.Error, "({Instance}) failed to add virtual address {Address}")]
        public static partial void AddFailed(ILogger logger, Exception exception, string instance, string address);

        [LoggerMessage(1052, LogLevel.Warning, "({Instance}) failed to remove virtual address {Address}")]
        public static partial void RemoveFailed(ILogger logger, Exception exception, string instance, string address);

        [LoggerMessage(1053, LogLevel.Warning, "({Instance}) failed to announce {Address}")]
        public static partial void AnnounceFailed(ILogger logger, Exception exception, string instance, IPAddress address);

        [LoggerMessage(1054, LogLevel.Error, "({Instance}) receive failed")]
        public static partial void ReceiveFailed(ILogger logger, Exception exception, string instance);

        [LoggerMessage(1055, LogLevel.Error, "({Instance}) a StateChanged handler threw")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string instance);

        [LoggerMessage(1057, LogLevel.Error, "({Instance}) a callback registered on the leadership token failed")]
        public static partial void LeadershipCallbackFailed(ILogger logger, Exception exception, string instance);

        [LoggerMessage(1056, LogLevel.Critical, "({Instance}) unexpected error while handling {Input}")]
        public static partial void LoopFailed(ILogger logger, Exception exception, string instance, string input);
    }
}

/// <summary>Wraps an option issue so the log carries its text (the record's ToString).</summary>
internal readonly record struct VrrpIssueText(Configuration.VrrpOptionIssue Issue)
{
    public override string ToString() => Issue.ToString();
}
