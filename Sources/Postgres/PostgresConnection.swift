import CLibPQ
import Core
import FoundationEssentials

/// One libpq connection, used by one thread at a time. Parameters always travel apart from the
/// SQL text; statements are prepared once per connection and reused by their text.
public final class PostgresConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// By SQL text; the same text bound with other parameter types is another statement.
    private var prepared: [PreparedStatement.Text: [PreparedStatement]] = [:]
    private var preparedCount = 0
    private var nextStatement = 0
    /// Names this connection's statements apart from every other connection's, so a pooler that
    /// hands it another client's server session can never run that client's statement.
    private let statementPrefix = "concord_" + String(UInt64.random(in: 0...UInt64.max), radix: 36) + "_"
    /// Prepared statements kept per connection before the cache is cleared.
    private static let statementCacheLimit = 512
    /// Set once the server lost a statement this connection prepared, or already had one of its
    /// names: a pooler in transaction mode (PgBouncer) hands each transaction another server
    /// session. From then on each statement is parsed, bound and run in one message
    /// (`PQexecParams`), which any session can serve.
    public private(set) var behindTransactionPooler = false
    /// The running transaction's work for just before its COMMIT (`Transaction.beforeCommit`),
    /// by its state's type; nil outside a transaction the pool began.
    var commitWork: [(key: ObjectIdentifier, state: AnyObject, run: (Transaction) throws -> Void)]? = nil

    /// Connects and fixes the session settings every query relies on (UTC, ISO dates, UTF-8,
    /// the statement timeout).
    public init(
        connectionString: String, statementTimeoutMilliseconds: Int = 30_000, applicationName: String = "concord",
        readOnly: Bool = false
    ) throws {
        let conninfo = Self.withDefaults(connectionString, applicationName: applicationName)
        handle = PQconnectdb(conninfo)
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            self.handle = nil
            throw PostgresError.unavailable(message.trimmed())
        }
        try execute(
            unsafeText: """
                SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'; \
                SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3; SET client_min_messages = warning; \
                SET statement_timeout = \(max(0, statementTimeoutMilliseconds)); \
                SET idle_in_transaction_session_timeout = 600000\(readOnly ? "; SET default_transaction_read_only = on" : "")
                """)
    }

    deinit { close() }

    /// Adds `connect_timeout` (fail fast when the server is down) and `application_name`
    /// unless the string sets them.
    static func withDefaults(_ connectionString: String, applicationName: String) -> String {
        if connectionString.hasPrefix("postgres://") || connectionString.hasPrefix("postgresql://") {
            var url = connectionString
            let separator = url.contains("?") ? "&" : "?"
            var extras: [String] = []
            if !url.contains("connect_timeout=") { extras.append("connect_timeout=3") }
            if !url.contains("application_name=") { extras.append("application_name=\(applicationName)") }
            if !extras.isEmpty { url += separator + extras.joined(separator: "&") }
            return url
        }
        var text = connectionString
        if !text.contains("connect_timeout=") { text += " connect_timeout=3" }
        if !text.contains("application_name=") { text += " application_name=\(applicationName)" }
        return text
    }

    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// False once the connection is closed or libpq reports it broken.
    public var isOpen: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// True when connected and outside any transaction: the only state in which a connection
    /// may go back to the pool.
    public var isIdle: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        return PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// Runs one statement with bound parameters, preparing it on first use.
    ///
    /// A statement the server no longer accepts (`ServerError.isStaleStatement`: another
    /// instance migrated a table under it) is forgotten; outside a transaction it is prepared
    /// again and run once more, inside one the error goes up so the whole transaction reruns.
    @discardableResult
    public func query(_ sql: SQL) throws -> QueryResult {
        let text = PreparedStatement.Text(sql.text)
        do {
            return try run(sql, text: text)
        } catch PostgresError.server(let error) where error.isStaleStatement {
            forget(text, binds: sql.binds)
            if error.state == .invalidStatementName || error.state == .duplicatePreparedStatement {
                behindTransactionPooler = true
            }
            guard let handle, PQtransactionStatus(handle) == PQTRANS_IDLE else { throw PostgresError.server(error) }
            return try run(sql, text: text)
        }
    }

    /// Drops the cached statement for `text` with these parameter types. Its server side is
    /// left to the next `DEALLOCATE ALL` (DEALLOCATE fails inside an aborted transaction).
    private func forget(_ text: PreparedStatement.Text, binds: [PostgresBind]) {
        guard var statements = prepared[text], let index = statements.firstIndex(where: { $0.accepts(binds) }) else {
            return
        }
        statements.remove(at: index)
        prepared[text] = statements.isEmpty ? nil : statements
    }

    private func run(_ sql: SQL, text: PreparedStatement.Text) throws -> QueryResult {
        guard let handle else { throw PostgresError.unavailable("connection is closed") }
        if behindTransactionPooler {
            let result = sql.binds.map(\.type).withUnsafeBufferPointer { types in
                Self.withParameterValues(sql.binds) { values in
                    PQexecParams(handle, sql.text, Int32(sql.binds.count), types.baseAddress, values, nil, nil, 0)
                }
            }
            return try consume(result)
        }
        let statement: PreparedStatement
        if let existing = prepared[text]?.first(where: { $0.accepts(sql.binds) }) {
            statement = existing
        } else {
            if preparedCount >= Self.statementCacheLimit {
                try execute(unsafeText: "DEALLOCATE ALL")
                prepared.removeAll()
                preparedCount = 0
            }
            nextStatement += 1
            statement = PreparedStatement(name: statementPrefix + "\(nextStatement)", types: sql.binds.map(\.type))
            let result = statement.types.withUnsafeBufferPointer { typePointer in
                PQprepare(handle, statement.name, sql.text, Int32(statement.types.count), typePointer.baseAddress)
            }
            _ = try consume(result)
            prepared[text, default: []].append(statement)
            preparedCount += 1
        }
        let result = Self.withParameterValues(sql.binds) { values in
            PQexecPrepared(handle, statement.name, Int32(sql.binds.count), values, nil, nil, 0)
        }
        return try consume(result, of: statement)
    }

    /// Runs SQL text without parameters, possibly several statements (migrations, `BEGIN`).
    /// Never pass input here.
    public func execute(unsafeText text: String) throws {
        guard let handle else { throw PostgresError.unavailable("connection is closed") }
        _ = try consume(PQexec(handle, text))
    }

    /// Runs SQL text without parameters, possibly several statements, and returns the last
    /// one's rows. Never pass input here.
    public func simpleQuery(unsafeText text: String) throws -> QueryResult {
        guard let handle else { throw PostgresError.unavailable("connection is closed") }
        return try consume(PQexec(handle, text))
    }

    /// Converts a result into rows or an error; it is cleared once nothing reads it. Rows of a
    /// prepared `statement` share the column index kept on it.
    private func consume(_ result: OpaquePointer?, of statement: PreparedStatement? = nil) throws -> QueryResult {
        guard let result else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "no connection"
            throw PostgresError.unavailable(message.trimmed())
        }
        // Rows keep the result (ResultCells clears it); anything else is cleared here.
        var kept = false
        defer { if !kept { PQclear(result) } }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let columns = Row.ColumnIndex.of(result, reusing: statement?.columns)
            statement?.columns = columns
            let cells = ResultCells(taking: result, columns: columns)
            kept = true
            let rows = (0..<cells.rowCount).map { Row(cells: cells, row: $0) }
            return QueryResult(rows: rows, affectedRows: cells.rowCount)
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
            return QueryResult(rows: [], affectedRows: affected)
        default:
            func field(_ code: Int32) -> String? {
                guard let pointer = PQresultErrorField(result, code) else { return nil }
                return String(cString: pointer)
            }
            // PG_DIAG_* codes are single characters (libpq's postgres_ext.h).
            let stateText = field(Int32(UInt8(ascii: "C")))
            guard let stateText, let handle, PQstatus(handle) == CONNECTION_OK else {
                let message =
                    field(Int32(UInt8(ascii: "M"))) ?? handle.map { String(cString: PQerrorMessage($0)) }
                    ?? "connection lost"
                throw PostgresError.unavailable(message.trimmed())
            }
            let error = PostgresError.ServerError(
                state: SQLState(rawValue: stateText),
                message: field(Int32(UInt8(ascii: "M"))) ?? "",
                detail: field(Int32(UInt8(ascii: "D"))),
                constraint: field(Int32(UInt8(ascii: "n"))),
                table: field(Int32(UInt8(ascii: "t"))),
                column: field(Int32(UInt8(ascii: "c"))))
            if error.state.isConnectionLoss { throw PostgresError.unavailable(error.message) }
            throw PostgresError.server(error)
        }
    }

    /// Runs `body` with the parameters as NUL-terminated C strings (a null pointer for SQL NULL),
    /// copied together into one temporary buffer, on the stack when small, instead of one heap
    /// copy each.
    private static func withParameterValues<R>(
        _ binds: [PostgresBind], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R
    ) -> R {
        if binds.isEmpty { return body(nil) }
        var byteCount = 0
        for bind in binds { byteCount += bind.text.map { $0.utf8.count + 1 } ?? 0 }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, byteCount)) { bytes in
            withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: binds.count) { pointers in
                var offset = 0
                for (index, bind) in binds.enumerated() {
                    guard let text = bind.text else {
                        pointers.initializeElement(at: index, to: nil)
                        continue
                    }
                    let start = offset
                    offset =
                        UnsafeMutableBufferPointer(rebasing: bytes[start...]).initialize(fromContentsOf: text.utf8)
                        + start
                    bytes.initializeElement(at: offset, to: 0)
                    offset += 1
                    pointers.initializeElement(
                        at: index, to: UnsafeRawPointer(bytes.baseAddress! + start).assumingMemoryBound(to: CChar.self))
                }
                return body(UnsafePointer(pointers.baseAddress))
            }
        }
    }
}
