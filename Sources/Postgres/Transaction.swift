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

    /// Work to do once, inside this transaction, just before it commits: `add` puts a writer's
    /// share into the state kept under `State`'s type (made by `make` and registered with `run`
    /// the first time), and `run` then acts on all of it once — a re-check of every record a
    /// transaction touched, instead of one per write, each holding the writer's locks longer.
    /// What `run` throws rolls the transaction back; work registered while another runs runs
    /// too. Outside a transaction the pool began (`read`), `run` follows at once.
    public func beforeCommit<State: AnyObject>(
        _ make: () -> State, adding add: (State) -> Void, run: @escaping (State, Transaction) throws -> Void
    ) throws {
        let key = ObjectIdentifier(State.self)
        guard connection.commitWork != nil else {
            let state = make()
            add(state)
            return try run(state, self)
        }
        if let entry = connection.commitWork!.first(where: { $0.key == key }) {
            add(entry.state as! State)
            return
        }
        let state = make()
        add(state)
        connection.commitWork!.append((key, state, { try run(state, $0) }))
    }

    /// Runs the work registered by `beforeCommit`, in order, until none is left.
    func runCommitWork() throws {
        while let work = connection.commitWork, let first = work.first {
            connection.commitWork!.removeFirst()
            try first.run(self)
        }
    }

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
