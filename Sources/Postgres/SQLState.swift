/// A PostgreSQL SQLSTATE code with names for the ones Concord reacts to (PostgreSQL
/// documentation, Appendix A).
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let notNullViolation = SQLState(rawValue: "23502")
    public static let exclusionViolation = SQLState(rawValue: "23P01")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let queryCanceled = SQLState(rawValue: "57014")
    public static let lockNotAvailable = SQLState(rawValue: "55P03")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let crashShutdown = SQLState(rawValue: "57P02")
    public static let cannotConnectNow = SQLState(rawValue: "57P03")
    public static let numericValueOutOfRange = SQLState(rawValue: "22003")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let featureNotSupported = SQLState(rawValue: "0A000")
    public static let invalidStatementName = SQLState(rawValue: "26000")
    public static let duplicatePreparedStatement = SQLState(rawValue: "42P05")

    /// The server went away or refuses connections (class 08, 57P01–57P03).
    public var isConnectionLoss: Bool {
        rawValue.hasPrefix("08") || self == .adminShutdown || self == .crashShutdown || self == .cannotConnectNow
    }

    public var description: String { rawValue }
}
