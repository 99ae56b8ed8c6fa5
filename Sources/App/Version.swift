/// Concord's version, in one place.
public enum ConcordVersion {
    public static let version = "0.2.0"
}
