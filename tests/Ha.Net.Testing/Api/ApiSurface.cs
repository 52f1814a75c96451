using System.Reflection;
using System.Text;

namespace Ha.Net.Testing.Api;

/// <summary>
/// Dumps an assembly's public surface (types, members, signatures, nullability) as sorted text,
/// one line per member, so a test can pin it against an approved file (the PublicApiAnalyzers
/// package is not on this project's registry).
/// </summary>
public static class ApiSurface
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
        BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Returns the public surface of <paramref name="assembly"/>, one sorted line per member.</summary>
    public static string Describe(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var lines = new List<string>();
        var nullability = new NullabilityInfoContext();
        foreach (var type in assembly.GetExportedTypes())
        {
            var typeName = Name(type);
            lines.Add($"{typeName}: {Kind(type)}{BaseList(type)}");
            foreach (var member in type.GetMembers(Declared))
            {
                if (Describe(member, nullability) is { } text)
                {
                    lines.Add($"{typeName}.{text}");
                }
            }
        }

        lines.Sort(StringComparer.Ordinal);
        var sb = new StringBuilder();
        foreach (var line in lines)
        {
            sb.Append(line).Append('\n');
        }

        return sb.ToString();
    }

    private static bool Visible(MethodBase? m) => m is not null && (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly);

    private static string? Describe(MemberInfo member, NullabilityInfoContext n)
    {
        switch (member)
        {
            case ConstructorInfo c when Visible(c):
                return $"ctor({Parameters(c.GetParameters(), n)})";
            case MethodInfo m when Visible(m) && !m.IsSpecialName:
                var generic = m.IsGenericMethod ? "<" + string.Join(", ", m.GetGenericArguments().Select(Name)) + ">" : "";
                return $"{(m.IsStatic ? "static " : "")}{(m.IsAbstract ? "abstract " : m.IsVirtual && !m.IsFinal ? "virtual " : "")}" +
                       $"{m.Name}{generic}({Parameters(m.GetParameters(), n)}) -> {TypeWithNullability(m.ReturnParameter, n)}";
            case PropertyInfo p when Visible(p.GetMethod) || Visible(p.SetMethod):
                var accessors = (Visible(p.GetMethod) ? "get; " : "") +
                    (Visible(p.SetMethod) ? (p.SetMethod!.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit") ? "init; " : "set; ") : "");
                var indexer = p.GetIndexParameters() is { Length: > 0 } ip ? $"[{Parameters(ip, n)}]" : "";
                return $"{(p.GetMethod?.IsStatic == true ? "static " : "")}{p.Name}{indexer} {{ {accessors}}} : {Nullable(n.Create(p), p.PropertyType)}";
            case FieldInfo f when (f.IsPublic || f.IsFamily) && !f.IsSpecialName:
                var constant = f.IsLiteral && !f.FieldType.IsEnum ? $" = {f.GetRawConstantValue()}" : f.IsLiteral ? $" = {Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}" : "";
                return $"{(f.IsStatic && !f.IsLiteral ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{f.Name} : {Nullable(n.Create(f), f.FieldType)}{constant}";
            case EventInfo e when Visible(e.AddMethod):
                return $"event {e.Name} : {Name(e.EventHandlerType!)}";
            default:
                return null;
        }
    }

    private static string Parameters(ParameterInfo[] parameters, NullabilityInfoContext n) =>
        string.Join(", ", parameters.Select(p =>
            $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : "")}{TypeWithNullability(p, n)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")}"));

    private static string TypeWithNullability(ParameterInfo p, NullabilityInfoContext n)
    {
        var type = p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType;
        try
        {
            return Nullable(n.Create(p), type);
        }
        catch (NotSupportedException)
        {
            return Name(type);
        }
    }

    private static string Nullable(NullabilityInfo info, Type type) =>
        Name(type) + (!type.IsValueType && info.ReadState == NullabilityState.Nullable ? "?" : "");

    private static string Kind(Type t) =>
        t.IsInterface ? "interface" :
        t.IsEnum ? "enum" :
        t.IsValueType ? (t.GetCustomAttributes().Any(a => a.GetType().Name == "IsReadOnlyAttribute") ? "readonly struct" : "struct") :
        typeof(Delegate).IsAssignableFrom(t) ? "delegate" :
        t.IsAbstract && t.IsSealed ? "static class" :
        t.IsAbstract ? "abstract class" :
        t.IsSealed ? "sealed class" : "class";

    private static string BaseList(Type t)
    {
        var bases = new List<string>();
        if (t.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && b != typeof(MulticastDelegate))
        {
            bases.Add(Name(b));
        }

        bases.AddRange(t.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Order(StringComparer.Ordinal));
        return bases.Count == 0 ? "" : " : " + string.Join(", ", bases);
    }

    private static string Name(Type t)
    {
        if (t.IsGenericParameter)
        {
            return t.Name;
        }

        if (t.IsArray)
        {
            return Name(t.GetElementType()!) + "[]";
        }

        if (t.IsByRef)
        {
            return Name(t.GetElementType()!);
        }

        var name = t.IsNested ? Name(t.DeclaringType!) + "." + t.Name : t.FullName ?? t.Name;
        if (t.IsGenericType)
        {
            var tick = name.IndexOf('`', StringComparison.Ordinal);
            if (tick >= 0)
            {
                name = name[..tick];
            }

            name += "<" + string.Join(", ", t.GetGenericArguments().Select(Name)) + ">";
        }

        return name;
    }
}
