import Core
import FoundationEssentials
import Routing

/// A record the API versions: its `version` is its ETag (API.md "Concurrency").
public protocol VersionedRecord: Encodable, SendableMetatype {
    var version: Int { get }
}

/// Where a route finds its record: the `{id}` segment read as a UUID or a document number, a
/// 404 when it cannot name one.
public typealias RecordKeyReader<Key> = @Sendable (Request) throws -> Key

/// `update` of a record service: the key, the merge patch, the `If-Match` check, who asks.
public typealias RecordUpdate<Key, Record> =
    @Sendable (Key, JSONValue, (Int) throws -> Void, Principal) throws -> Record
/// `delete` of a record service: the key, the `If-Match` check, who asks.
public typealias RecordDelete<Key> = @Sendable (Key, (Int) throws -> Void, Principal) throws -> Void

extension RouterBuilder {
    /// The routes of one versioned record at `template` (`/leads/{id}`): GET with `read`, and
    /// PATCH (fields in `readOnly` refused) and DELETE with `write` when given.
    public mutating func record<Key, Record: VersionedRecord>(
        _ template: String, read: String, write: String = "", key: @escaping RecordKeyReader<Key>,
        get: @escaping @Sendable (Key) throws -> Record, readOnly: Set<String> = [],
        update: RecordUpdate<Key, Record>? = nil,
        delete: RecordDelete<Key>? = nil
    ) {
        getRecord(template, permission: read, key: key, get)
        if let update { patchRecord(template, permission: write, readOnly: readOnly, key: key, update) }
        if let delete { deleteRecord(template, permission: write, key: key, delete) }
    }

    /// `GET template`: the record with its ETag, 304 when `If-None-Match` names its version.
    mutating func getRecord<Key, Record: VersionedRecord>(
        _ template: String, permission: String, key: @escaping RecordKeyReader<Key>,
        _ read: @escaping @Sendable (Key) throws -> Record
    ) {
        get(template, access: .permission(permission)) { request in
            let record = try read(try key(request))
            return try Versioning.respond(request, record, version: record.version)
        }
    }

    /// `PATCH template`: a merge patch (RFC 7396) of the writable fields, `If-Match` checked
    /// against the version `update` finds; answered with the record and its new ETag. The key
    /// is read first, then the body, then who asks.
    mutating func patchRecord<Key, Record: VersionedRecord>(
        _ template: String, permission: String, readOnly: Set<String>, key: @escaping RecordKeyReader<Key>,
        _ update: @escaping RecordUpdate<Key, Record>
    ) {
        patch(template, access: .permission(permission)) { request in
            let key = try key(request)
            let record = try update(
                key, try request.mergePatchBody(readOnly: readOnly), Versioning.ifMatch(request),
                try request.principal())
            return try Versioning.respond(request, record, version: record.version)
        }
    }

    /// `DELETE template` with `If-Match`: 204 once gone.
    mutating func deleteRecord<Key>(
        _ template: String, permission: String, key: @escaping RecordKeyReader<Key>,
        _ delete: @escaping RecordDelete<Key>
    ) {
        self.delete(template, access: .permission(permission)) { request in
            try delete(try key(request), Versioning.ifMatch(request), try request.principal())
            return .noContent
        }
    }
}

/// Key readers for records addressed by UUID only.
public enum RecordKey {
    /// The `{id}` segment as a UUID; anything else is a 404 for `resource`.
    public static func uuid(_ resource: String) -> RecordKeyReader<UUID> {
        { request in try request.uuidParameter("id", resource: resource) }
    }
}
