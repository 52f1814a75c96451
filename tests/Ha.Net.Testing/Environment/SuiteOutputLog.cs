namespace Ha.Net.Testing.Environment;

/// <summary>
/// #15 "secrets never leave": every line the suite's daemons and commands print, and every log line the
/// libraries write under test, appended to one file when <c>HANET_TEST_OUTPUT_LOG</c> names it (test.sh
/// does). At the end of the run test.sh greps that file for every secret the tests configure
/// (<c>eng/test-secrets.txt</c>); a secret found is a failed run.
/// </summary>
public static class SuiteOutputLog
{
    private static readonly Lock Gate = new();
    private static readonly StreamWriter? Writer = Open();

    /// <summary>Appends <paramref name="text"/> (one or more lines) under <paramref name="source"/>; nothing without the variable.</summary>
    public static void Append(string source, string? text)
    {
        if (Writer is null || string.IsNullOrEmpty(text))
        {
            return;
        }

        lock (Gate)
        {
            foreach (var line in text.Split('\n'))
            {
                Writer.Write(source);
                Writer.Write(": ");
                Writer.WriteLine(line.TrimEnd('\r'));
            }
        }
    }

    private static StreamWriter? Open()
    {
        if (System.Environment.GetEnvironmentVariable("HANET_TEST_OUTPUT_LOG") is not { Length: > 0 } path)
        {
            return null;
        }

        var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Gate)
            {
                writer.Flush();
            }
        };
        return writer;
    }
}
