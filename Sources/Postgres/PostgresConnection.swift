import CLibPQ
import Foundation
import Routing

/// One libpq connection, used by one thread at a time. Parameters always travel apart from the
/// SQL text; statements are prepared once per connection and reused by their text.
public final class PostgresConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var prepared: [String: String] = [:]
    private var nextStatement = 0
    /// Prepared statements kept per connection before the cache is cleared.
    private static let statementCacheLimit = 512

    /// Connects and fixes the session settings every query relies on (UTC, ISO dates, UTF-8,
    /// the statement timeout).
    public init(connectionString: String, statementTimeoutMilliseconds: Int = 30_000, applicationName: String = "concord") throws {
        let conninfo = Self.withDefaults(connectionString, applicationName: applicationName)
        handle = PQconnectdb(conninfo)
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            self.handle = nil
            throw PostgresError.unavailable(message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try execute(unsafeText: """
            SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'; \
            SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3; SET client_min_messages = warning; \
            SET statement_timeout = \(max(0, statementTimeoutMilliseconds)); \
            SET idle_in_transaction_session_timeout = 600000
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
    @discardableResult
    public func query(_ sql: SQL) throws -> QueryResult {
        guard let handle else { throw PostgresError.unavailable("connection is closed") }
        let types = sql.binds.map { $0.type }
        let key = sql.text + "\u{0}" + types.map(String.init).joined(separator: ",")
        let name: String
        if let existing = prepared[key] {
            name = existing
        } else {
            if prepared.count >= Self.statementCacheLimit {
                try execute(unsafeText: "DEALLOCATE ALL")
                prepared.removeAll()
            }
            nextStatement += 1
            name = "concord_\(nextStatement)"
            let result = types.withUnsafeBufferPointer { typePointer in
                PQprepare(handle, name, sql.text, Int32(types.count), typePointer.baseAddress)
            }
            _ = try consume(result)
            prepared[key] = name
        }
        let result = Self.withCStrings(sql.binds.map(\.text)) { values in
            PQexecPrepared(handle, name, Int32(sql.binds.count), values, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Runs SQL text without parameters, possibly several statements (migrations, `BEGIN`).
    /// Never pass input here.
    public func execute(unsafeText text: String) throws {
        guard let handle else { throw PostgresError.unavailable("connection is closed") }
        _ = try consume(PQexec(handle, text))
    }

    /// Converts a result into rows or an error, always clearing it.
    private func consume(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "no connection"
            throw PostgresError.unavailable(message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let fieldCount = Int(PQnfields(result))
            let names = (0..<fieldCount).map { String(cString: PQfname(result, Int32($0))) }
            let index = Row.ColumnIndex(names: names)
            let rowCount = Int(PQntuples(result))
            var rows: [Row] = []
            rows.reserveCapacity(rowCount)
            for r in 0..<rowCount {
                var values: [String?] = []
                values.reserveCapacity(fieldCount)
                for f in 0..<fieldCount {
                    if PQgetisnull(result, Int32(r), Int32(f)) == 1 {
                        values.append(nil)
                    } else {
                        values.append(String(cString: PQgetvalue(result, Int32(r), Int32(f))))
                    }
                }
                rows.append(Row(columns: index, values: values))
            }
            return QueryResult(rows: rows, affectedRows: rowCount)
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
                let message = field(Int32(UInt8(ascii: "M"))) ?? handle.map { String(cString: PQerrorMessage($0)) } ?? "connection lost"
                throw PostgresError.unavailable(message.trimmingCharacters(in: .whitespacesAndNewlines))
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

    private static func withCStrings<R>(_ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        if values.isEmpty { return body(nil) }
        var pointers: [UnsafeMutablePointer<CChar>?] = values.map { $0.flatMap { strdup($0) } }
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, buffer.count)) { body($0) }
        }
    }
}
