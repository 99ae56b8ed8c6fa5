import Core

/// The writable fields of a record as a client sends them: trimmed, then checked (a 422 that
/// lists every field at fault).
public protocol RecordInput: Decodable {
    mutating func normalize()
    func validate() throws
}

extension RecordInput {
    public mutating func normalize() {}
}

/// A merge patch (RFC 7396) applied to a record's writable fields: the patched input,
/// normalised and validated, and what the fields were before, so an update that changes
/// nothing can write nothing (no new version, no event).
public struct RecordPatch<Input: RecordInput> {
    public let input: Input
    /// The writable document the patch applied to.
    public let before: JSONValue
    let fields: Set<String>

    /// Patches `current`'s `writable` fields.
    public init(_ patch: JSONValue, to current: some Encodable, writable fields: Set<String>) throws {
        try self.init(patch, toDocument: try JSONValueEncoder().encode(current).keeping(fields), writable: fields)
    }

    /// Patches a writable document the record builds itself.
    public init(_ patch: JSONValue, toDocument document: JSONValue, writable fields: Set<String>) throws {
        var input = try MergePatch.apply(patch, toDocument: document, as: Input.self)
        input.normalize()
        try input.validate()
        self.input = input
        before = document
        self.fields = fields
    }

    /// Whether `changed` shows the writable fields as they were before the patch.
    public func leavesUnchanged(_ changed: some Encodable) throws -> Bool {
        try JSONValueEncoder().encode(changed).keeping(fields) == before
    }
}
