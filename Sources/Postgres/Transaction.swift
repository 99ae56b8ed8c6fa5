/// The one connection of a running transaction. Services pass it down to every store call and
/// to other modules' public APIs, so cross-module work commits or rolls back as one.
public struct Transaction: Sendable {
    public let connection: PostgresConnection

    init(connection: PostgresConnection) { self.connection = connection }

    /// Runs a statement and returns its rows.
    @discardableResult
    public func query(_ sql: SQL) throws -> QueryResult { try connection.query(sql) }

    /// The first row, or nil.
    public func first(_ sql: SQL) throws -> Row? { try connection.query(sql).rows.first }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: SQL) throws -> Int { try connection.query(sql).affectedRows }

    /// Runs `body` under a savepoint: when it throws, only its own writes are undone and the
    /// transaction stays usable (a batch item the database refused, while the others go on).
    public func withSavepoint<T>(_ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT concord_savepoint")
        do {
            let result = try body()
            try execute("RELEASE SAVEPOINT concord_savepoint")
            return result
        } catch {
            try execute("ROLLBACK TO SAVEPOINT concord_savepoint")
            throw error
        }
    }
}
