import Core
import FoundationEssentials
import Postgres

extension ConnectionPool {
    /// The record `find` reads, or a 404 naming `resource`. `consistent` reads inside one
    /// read-only transaction (`snapshot`), for records assembled from several statements that
    /// must agree (a document and its lines); otherwise a plain read.
    public func record<T>(_ resource: String, consistent: Bool = false, _ find: (Transaction) throws -> T?) throws -> T
    {
        guard let found = try consistent ? snapshot(find) : read(find) else { throw AppError.notFound(resource) }
        return found
    }

    /// One page of a list in creation order: `fetch` reads up to `page.limit + 1` rows after the
    /// cursor, `consistent` as for `record`.
    public func page<T: CreatedRecord>(
        _ page: PageRequest, consistent: Bool = false, _ fetch: (Transaction) throws -> [T]
    ) throws -> Page<T> {
        page.page(try consistent ? snapshot(fetch) : read(fetch), key: { $0.createdAt.postgresText }, id: \.id)
    }
}

/// A record listed in creation order: the cursor carries its `created_at` and `id`.
public protocol CreatedRecord: IdentifiedRecord, Encodable {
    var id: UUID { get }
    var createdAt: Date { get }
}
