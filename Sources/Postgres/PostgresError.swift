import Core

/// Everything that can go wrong talking to PostgreSQL. Descriptions are for logs; what a client
/// sees comes from `problem`, which never carries SQL, data or server messages.
public enum PostgresError: Error, CustomStringConvertible, Sendable {
    /// No connection could be made, or it was lost mid-query.
    case unavailable(String)
    /// No pooled connection became free within the checkout timeout.
    case poolExhausted
    /// The server rejected a statement.
    case server(ServerError)
    /// A column could not be read as the requested type.
    case decoding(column: String, message: String)

    /// The fields of a server error (libpq `PQresultErrorField`).
    public struct ServerError: Sendable {
        public let state: SQLState
        public let message: String
        public let detail: String?
        public let constraint: String?
        public let table: String?
        public let column: String?

        /// The server no longer accepts a statement this connection prepared: a migration
        /// changed the columns a cached plan returns (0A000 "cached plan must not change result
        /// type"), or the session's statements were dropped (26000, e.g. `DISCARD ALL` from a
        /// pooler), or the session already holds a statement of that name (42P05: a pooler in
        /// transaction mode gave this connection another client's session). Preparing the text
        /// again, or not preparing it (`PostgresConnection.behindTransactionPooler`), fixes it.
        public var isStaleStatement: Bool {
            state == .invalidStatementName || state == .duplicatePreparedStatement
                || (state == .featureNotSupported && message.hasPrefix("cached plan must not change result type"))
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let reason): "database unavailable: \(reason)"
        case .poolExhausted: "no database connection became free in time"
        case .server(let e): "SQLSTATE \(e.state): \(e.message)" + (e.constraint.map { " (constraint \($0))" } ?? "")
        case .decoding(let column, let message): "column \(column): \(message)"
        }
    }

    /// The SQLSTATE, when the server answered.
    public var state: SQLState? {
        if case .server(let e) = self { return e.state }
        return nil
    }

    /// Worth running the whole transaction again: a serialization failure, a deadlock, or a
    /// prepared statement the server no longer accepts (already forgotten, so the next run
    /// prepares it afresh).
    public var isRetryable: Bool {
        guard case .server(let e) = self else { return false }
        return e.state == .serializationFailure || e.state == .deadlockDetected || e.isStaleStatement
    }

    /// The violated constraint's name, for 23xxx errors.
    public var constraint: String? {
        if case .server(let e) = self { return e.constraint }
        return nil
    }
}

extension PostgresError: ProblemConvertible {
    /// The one SQLSTATE → problem table. Services catch the cases they can explain better
    /// (a unique violation on `customers_email_key` is a `duplicate_customer`) before this runs.
    public var problem: AppError {
        switch self {
        case .unavailable, .poolExhausted:
            return AppError(
                .serviceUnavailable, "the database is unavailable; retry shortly", headers: [("Retry-After", "1")])
        case .decoding:
            return AppError(.internalError, "stored data could not be read")
        case .server(let e):
            switch e.state {
            case .uniqueViolation:
                return AppError(
                    .conflict, "a record with the same unique value already exists",
                    extra: JSONObject([("constraint", e.constraint.map(JSONValue.string) ?? .null)]))
            case .foreignKeyViolation:
                return AppError(
                    .conflict, "the record refers to, or is referred to by, another record",
                    extra: JSONObject([("constraint", e.constraint.map(JSONValue.string) ?? .null)]))
            case .checkViolation, .notNullViolation, .numericValueOutOfRange, .invalidTextRepresentation:
                return AppError(
                    .validationFailed, "a value is out of the allowed range",
                    extra: JSONObject([("constraint", e.constraint.map(JSONValue.string) ?? .null)]))
            case .queryCanceled:
                return AppError(
                    .serviceUnavailable, "the database took too long to answer; retry shortly",
                    headers: [("Retry-After", "1")])
            case .serializationFailure, .deadlockDetected, .lockNotAvailable:
                return AppError(
                    .serviceUnavailable, "the database is busy with conflicting updates; retry shortly",
                    headers: [("Retry-After", "1")])
            default:
                if e.state.isConnectionLoss || e.isStaleStatement {
                    return AppError(
                        .serviceUnavailable, "the database is unavailable; retry shortly",
                        headers: [("Retry-After", "1")])
                }
                return AppError(.internalError, "an unexpected database error occurred")
            }
        }
    }
}
