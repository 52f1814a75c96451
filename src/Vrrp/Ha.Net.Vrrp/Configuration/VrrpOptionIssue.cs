namespace Ha.Net.Vrrp.Configuration;

/// <summary>One problem found in a virtual router's options.</summary>
/// <param name="Instance">The instance name (<c>vrrp_instance</c>).</param>
/// <param name="Key">The keepalived keyword the problem is about (<c>priority</c>, <c>virtual_ipaddress[1]</c>, …).</param>
/// <param name="Message">What is wrong, naming the options property.</param>
/// <param name="IsWarning">A warning is adjusted as keepalived does (e.g. <c>auth_pass</c> truncated); an error stops the instance.</param>
public sealed record VrrpOptionIssue(string Instance, string Key, string Message, bool IsWarning)
{
    /// <inheritdoc />
    public override string ToString() => $"vrrp_instance {Instance}: {Key}: {(IsWarning ? "warning: " : "")}{Message}";
}

/// <summary>Thrown when a virtual router is created from options that have errors; lists every one of them.</summary>
public sealed class VrrpConfigurationException : Exception
{
    /// <summary>Creates the exception from the errors found.</summary>
    /// <param name="errors">Every error.</param>
    public VrrpConfigurationException(IReadOnlyList<VrrpOptionIssue> errors)
        : base("Invalid VRRP configuration:" + string.Concat(errors.Select(e => Environment.NewLine + "  " + e)))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with a message.</summary>
    public VrrpConfigurationException()
        : this([])
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public VrrpConfigurationException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public VrrpConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>The errors.</summary>
    public IReadOnlyList<VrrpOptionIssue> Errors { get; }
}
