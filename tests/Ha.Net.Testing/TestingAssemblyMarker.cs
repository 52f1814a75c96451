namespace Ha.Net.Testing;

/// <summary>Marker for the shared test-support assembly.</summary>
public static class TestingAssemblyMarker
{
}
