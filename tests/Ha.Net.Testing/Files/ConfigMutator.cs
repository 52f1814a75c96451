using System.Diagnostics;
using System.Text;

namespace Ha.Net.Testing.Files;

/// <summary>
/// Mutation fuzzing of a configuration dialect: takes real files (the seeds' and the tests'), applies
/// one to four line- and token-level mutations (delete, duplicate, swap, splice from another file,
/// replace or insert a keyword or an edge value, flip a character, truncate, unbalance quotes and
/// braces), and hands each mutant to the code under test. Deterministic for a given seed, which the
/// report prints so a failure can be replayed.
/// </summary>
public sealed class ConfigMutator
{
    private static readonly string[] EdgeValues =
    [
        "", "0", "-1", "1", "255", "256", "65535", "65536", "2147483647", "2147483648", "-2147483649",
        "9223372036854775808", "99999999999999999999999", "1e9", "0x10", "1.5", "-0", "+1", "10msx", "1d", "1h", "0ms",
        "100000000s", "5%", "101%", "%", "nan", "∞", "\0", "\u00a0", "\ufeff", "\r", "\\", "\"", "'", "{", "}", "#", "!",
        "*", "?", "[", "]", "::", "[::1]:", ":", "1.2.3.4:", ":70000", "256.0.0.1", "0.0.0.0/33", "fe80::1%", "@",
        "ipv4@", "unix@", "abns@x", "/dev/zero", "/", ".", "..", "$HOME", "\"${X}\"", "\\x41", "\\", "a b", "\t",
        new string('9', 400), new string('a', 5000), "\ud800", "\udc00", "é", "ü",
    ];

    private readonly IReadOnlyList<string[]> _corpus;
    private readonly string[] _keywords;
    private readonly Random _random;

    public ConfigMutator(IEnumerable<string> corpus, IEnumerable<string> keywords, int seed)
    {
        _corpus = corpus.Select(text => text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')).ToList();
        if (_corpus.Count == 0)
        {
            throw new ArgumentException("the corpus is empty", nameof(corpus));
        }

        _keywords = keywords.Concat(_corpus.SelectMany(lines => lines).SelectMany(Tokens)).Distinct().ToArray();
        Seed = seed;
        _random = new Random(seed);
    }

    public int Seed { get; }

    /// <summary>A seed for this run: <c>HANET_FUZZ_SEED</c> when set (to replay), else a fresh one.</summary>
    public static int SeedFromEnvironment() =>
        int.TryParse(System.Environment.GetEnvironmentVariable("HANET_FUZZ_SEED"), out var seed) ? seed : Random.Shared.Next();

    /// <summary>The next mutant.</summary>
    public string Next()
    {
        var lines = _corpus[_random.Next(_corpus.Count)].ToList();
        var count = 1 + _random.Next(4);
        for (var i = 0; i < count; i++)
        {
            Mutate(lines);
        }

        return string.Join('\n', lines);
    }

    /// <summary>
    /// Runs <paramref name="check"/> on <paramref name="count"/> mutants. An exception from it is a
    /// finding (the first few are kept with their input); so is any input taking longer than
    /// <paramref name="perInputBound"/>.
    /// </summary>
    public FuzzReport Run(int count, TimeSpan perInputBound, Action<string> check)
    {
        var findings = new List<string>();
        var total = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        var failures = 0;
        for (var i = 0; i < count; i++)
        {
            var input = Next();
            var started = Stopwatch.GetTimestamp();
            try
            {
                check(input);
            }
            catch (Exception e)
            {
                failures++;
                if (findings.Count < 3)
                {
                    findings.Add($"mutant #{i} (seed {Seed}) threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}\n--- input ---\n{Shorten(input)}");
                }
            }

            var took = Stopwatch.GetElapsedTime(started);
            if (took > slowest)
            {
                slowest = took;
            }

            if (took > perInputBound && findings.Count < 3)
            {
                failures++;
                findings.Add($"mutant #{i} (seed {Seed}) took {took.TotalMilliseconds:F0} ms (bound {perInputBound.TotalMilliseconds:F0} ms)\n--- input ---\n{Shorten(input)}");
            }
        }

        return new FuzzReport(count, failures, total.Elapsed, slowest, Seed, findings);
    }

    private static string Shorten(string input) => input.Length <= 4000 ? input : input[..4000] + $"\n… ({input.Length} characters)";

    private void Mutate(List<string> lines)
    {
        if (lines.Count == 0)
        {
            lines.Add(Pick(_keywords));
            return;
        }

        var at = _random.Next(lines.Count);
        switch (_random.Next(12))
        {
            case 0:
                lines.RemoveAt(at);
                break;
            case 1:
                lines.Insert(_random.Next(lines.Count + 1), lines[at]);
                break;
            case 2:
                var other = _random.Next(lines.Count);
                (lines[at], lines[other]) = (lines[other], lines[at]);
                break;
            case 3:
                var donor = _corpus[_random.Next(_corpus.Count)];
                var start = _random.Next(donor.Length);
                lines.InsertRange(at, donor.Skip(start).Take(1 + _random.Next(8)));
                break;
            case 4:
                lines[at] = ReplaceToken(lines[at], Pick(_keywords));
                break;
            case 5:
                lines[at] = ReplaceToken(lines[at], Pick(EdgeValues));
                break;
            case 6:
                lines[at] = InsertAt(lines[at], " " + Pick(_random.Next(2) == 0 ? _keywords : EdgeValues) + " ");
                break;
            case 7:
                lines[at] = InsertAt(lines[at], ((char)_random.Next(0, 0x3000)).ToString());
                break;
            case 8:
                lines[at] = lines[at].Length == 0 ? lines[at] : lines[at][.._random.Next(lines[at].Length)];
                lines.RemoveRange(at + 1, _random.Next(lines.Count - at));
                break;
            case 9:
                lines[at] = InsertAt(lines[at], Pick(["{", "}", "\"", "'", "\\", "#", "{ }", "\\\n"]));
                break;
            case 10:
                lines.Insert(at, "    " + string.Join(' ', Enumerable.Range(0, 1 + _random.Next(4)).Select(_ => Pick(_keywords))));
                break;
            default:
                lines[at] = string.Join(' ', Tokens(lines[at]).Reverse());
                break;
        }
    }

    private string ReplaceToken(string line, string replacement)
    {
        var tokens = Tokens(line).ToList();
        if (tokens.Count == 0)
        {
            return replacement;
        }

        tokens[_random.Next(tokens.Count)] = replacement;
        var indent = line.Length - line.TrimStart().Length;
        return line[..indent] + string.Join(' ', tokens);
    }

    private string InsertAt(string line, string text) => line.Insert(_random.Next(line.Length + 1), text);

    private string Pick(IReadOnlyList<string> from) => from[_random.Next(from.Count)];

    private static IEnumerable<string> Tokens(string line) =>
        line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>What one fuzz run did: mutants tried, failures (exceptions or slow inputs), time.</summary>
public sealed record FuzzReport(int Mutants, int Failures, TimeSpan Elapsed, TimeSpan Slowest, int Seed, IReadOnlyList<string> Findings)
{
    /// <summary>One line for the test output, which test.sh repeats at the end of the run.</summary>
    public string Summary(string what) =>
        $"fuzz: {what}: {Mutants} mutants in {Elapsed.TotalSeconds:F1} s (slowest {Slowest.TotalMilliseconds:F1} ms), " +
        $"{Failures} failures, seed {Seed}";

    public override string ToString() => new StringBuilder().AppendJoin("\n\n", Findings).ToString();
}
