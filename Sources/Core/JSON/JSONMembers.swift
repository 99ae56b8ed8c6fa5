import FoundationEssentials

/// A type whose JSON is one object: its members, written in order by `writeMembers`. That list
/// is its `encode(to:)` as well, so the resource has one way to JSON whichever encoder asks.
///
/// Why not the synthesized `Encodable`: a list page writes thousands of members, and going
/// through coding keys and keyed containers (a boxed generic call, the key's snake_case name
/// looked up, a check for repeated names) cost about 1,500 instructions a member, three fifths
/// of a page of 50 customers. A stream encoder (`encodeBytes`) calls `writeMembers` directly:
/// each name is written as the literal it is, then the value. Any other encoder gets the same
/// members through a keyed container, the path the synthesized code takes.
///
/// Names are the API's snake_case JSON names, written as given: plain ASCII letters, digits
/// and `_`, each once per object (the list-output tests hold every list to its recorded bytes).
public protocol JSONMembers: Encodable {
    func writeMembers(to object: inout JSONMemberWriter) throws
}

extension JSONMembers {
    public func encode(to encoder: any Encoder) throws {
        if let stream = encoder as? JSONStreamEncoder {
            try stream.writeObject(self)
            return
        }
        var object = JSONMemberWriter(container: encoder.container(keyedBy: JSONVerbatimKey.self))
        try writeMembers(to: &object)
    }
}

/// Takes the members of one `JSONMembers` object, in order. The common value types have their
/// own overloads, so a member's value is written without a generic call (each one is a plain
/// call from the model's module into this one).
public struct JSONMemberWriter {
    /// Straight into the stream's bytes (the object's `{` is written), or else through a keyed
    /// container of another encoder.
    private let stream: JSONStreamEncoder?
    private let forwarding: Forwarding?
    private var written = 0

    private final class Forwarding {
        var container: KeyedEncodingContainer<JSONVerbatimKey>
        init(_ container: KeyedEncodingContainer<JSONVerbatimKey>) { self.container = container }
    }

    init(stream: JSONStreamEncoder) {
        self.stream = stream
        forwarding = nil
    }

    init(container: KeyedEncodingContainer<JSONVerbatimKey>) {
        stream = nil
        forwarding = Forwarding(container)
    }

    /// A member of any type, as the encoder writes that type.
    public mutating func member<Value: Encodable>(_ name: StaticString, _ value: Value) throws {
        guard let stream else { return try forward(name, value) }
        startMember(name, in: stream)
        try stream.write(value, pathKey: JSONVerbatimKey(name.description))
    }

    /// A member that may be absent: nil is written as `null`, as the API writes every absent
    /// value. Inlinable, so the optional is unwrapped where the model's type is known: in an
    /// unspecialized generic, finding the metadata of `Value?` cost more than writing the member.
    @inlinable public mutating func member<Value: Encodable>(_ name: StaticString, _ value: Value?) throws {
        if let value { try member(name, value) } else { try nullMember(name) }
    }

    /// A string enum's member: its raw value, which is what its synthesized `Encodable` writes.
    @inlinable public mutating func member<Value: RawRepresentable & Encodable>(
        _ name: StaticString, _ value: Value
    ) throws where Value.RawValue == String {
        try member(name, value.rawValue)
    }

    @inlinable public mutating func member<Value: RawRepresentable & Encodable>(
        _ name: StaticString, _ value: Value?
    ) throws where Value.RawValue == String {
        if let value { try member(name, value.rawValue) } else { try nullMember(name) }
    }

    public mutating func member(_ name: StaticString, _ value: String) throws {
        guard let stream else { return try forward(name, value) }
        let scratch = stream.scratch
        guard var end = memberStart(name, in: scratch) else {
            startMember(name, in: stream)
            stream.writeString(value)
            return
        }
        var value = value
        let framed = value.withUTF8 { utf8 in
            guard end + utf8.count + 2 <= scratch.count, !JSONWriter.needsEscape(anyOf: utf8) else { return false }
            scratch[end] = UInt8(ascii: "\"")
            if let start = utf8.baseAddress {
                (scratch.baseAddress! + end + 1).initialize(from: start, count: utf8.count)
            }
            end += utf8.count + 1
            scratch[end] = UInt8(ascii: "\"")
            end += 1
            return true
        }
        stream.withBytes { bytes in
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<end]))
            if !framed { JSONWriter.writeString(value, into: &bytes) }
        }
    }

    public mutating func member(_ name: StaticString, _ value: Int) throws {
        guard let stream else { return try forward(name, value) }
        startMember(name, in: stream)
        stream.writeInteger(value)
    }

    public mutating func member(_ name: StaticString, _ value: Int64) throws {
        guard let stream else { return try forward(name, value) }
        startMember(name, in: stream)
        stream.writeInteger(value)
    }

    public mutating func member(_ name: StaticString, _ value: Bool) throws {
        guard let stream else { return try forward(name, value) }
        startMember(name, in: stream)
        stream.writeBool(value)
    }

    public mutating func member(_ name: StaticString, _ value: UUID) throws {
        guard let stream else { return try forward(name, value) }
        startMember(name, in: stream)
        stream.withBytes { UUIDText.writeJSONString(value, into: &$0) }
    }

    public mutating func member(_ name: StaticString, _ value: [String]) throws {
        guard let stream else { return try forward(name, value) }
        startMember(name, in: stream)
        stream.withBytes { bytes in
            bytes.append(UInt8(ascii: "["))
            for (position, element) in value.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(element, into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        }
    }

    /// JSON written once, copied as it is.
    public mutating func member(_ name: StaticString, _ value: EncodedJSON) throws {
        guard let stream else { return try forward(name, value) }
        startMember(name, in: stream)
        stream.withBytes { $0.append(contentsOf: value.bytes) }
    }

    public mutating func member(_ name: StaticString, _ value: Date) throws {
        guard let stream else { return try forward(name, value) }
        startMember(name, in: stream)
        try stream.writeDate(value)
    }

    /// A nested object, written in place like its parent.
    public mutating func member<Value: JSONMembers>(_ name: StaticString, _ value: Value) throws {
        guard let stream else { return try forward(name, value) }
        startMember(name, in: stream)
        try stream.writeMembers(of: value)
    }

    /// An array of objects, each written in place.
    public mutating func member<Value: JSONMembers>(_ name: StaticString, _ value: [Value]) throws {
        guard let stream else { return try forward(name, value) }
        startMember(name, in: stream)
        stream.withBytes { $0.append(UInt8(ascii: "[")) }
        for (position, element) in value.enumerated() {
            if position > 0 { stream.withBytes { $0.append(UInt8(ascii: ",")) } }
            try stream.writeMembers(of: element)
        }
        stream.withBytes { $0.append(UInt8(ascii: "]")) }
    }

    @inlinable public mutating func member<Value: JSONMembers>(_ name: StaticString, _ value: Value?) throws {
        if let value { try member(name, value) } else { try nullMember(name) }
    }

    // The optionals of the common types need their own overloads: inside the generic one
    // above, `value` is a `Value`, so it would reach the generic member, not its type's.

    public mutating func member(_ name: StaticString, _ value: Date?) throws {
        if let value { try member(name, value) } else { try nullMember(name) }
    }

    public mutating func member(_ name: StaticString, _ value: String?) throws {
        if let value { try member(name, value) } else { try nullMember(name) }
    }

    public mutating func member(_ name: StaticString, _ value: Int?) throws {
        if let value { try member(name, value) } else { try nullMember(name) }
    }

    public mutating func member(_ name: StaticString, _ value: Int64?) throws {
        if let value { try member(name, value) } else { try nullMember(name) }
    }

    public mutating func member(_ name: StaticString, _ value: Bool?) throws {
        if let value { try member(name, value) } else { try nullMember(name) }
    }

    public mutating func member(_ name: StaticString, _ value: UUID?) throws {
        if let value { try member(name, value) } else { try nullMember(name) }
    }

    /// `name` with the value `null`.
    public mutating func nullMember(_ name: StaticString) throws {
        guard let stream else {
            return try forwarding!.container.encodeNil(forKey: JSONVerbatimKey(name.description))
        }
        startMember(name, in: stream)
        stream.writeNull()
    }

    private func forward<Value: Encodable>(_ name: StaticString, _ value: Value) throws {
        try forwarding!.container.encode(value, forKey: JSONVerbatimKey(name.description))
    }

    /// `,"name":` (no comma before the first member), built in the stream's scratch and
    /// appended once: appending it byte by byte cost more than the member's value.
    private mutating func startMember(_ name: StaticString, in stream: JSONStreamEncoder) {
        if let end = memberStart(name, in: stream.scratch) {
            stream.withBytes { $0.append(contentsOf: UnsafeBufferPointer(rebasing: stream.scratch[..<end])) }
            return
        }
        let comma = written > 0
        written += 1
        stream.withBytes { bytes in
            if comma { bytes.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(name.description, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
        }
    }

    /// Writes `,"name":` at the start of `scratch` and counts the member; its length, or nil
    /// (nothing counted) for a name that does not fit.
    private mutating func memberStart(_ name: StaticString, in scratch: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        let count = name.utf8CodeUnitCount
        guard name.hasPointerRepresentation, count + 4 <= scratch.count else { return nil }
        var end = 0
        if written > 0 {
            scratch[0] = UInt8(ascii: ",")
            end = 1
        }
        written += 1
        scratch[end] = UInt8(ascii: "\"")
        (scratch.baseAddress! + end + 1).initialize(from: name.utf8Start, count: count)
        end += count + 1
        scratch[end] = UInt8(ascii: "\"")
        scratch[end + 1] = UInt8(ascii: ":")
        return end + 2
    }
}

extension JSONStreamEncoder {
    /// `value`'s object in the value being written (see `JSONMembers`). The object is written
    /// whole, like a dictionary, so the stream records no member names for it.
    func writeObject<Value: JSONMembers>(_ value: Value) throws {
        guard startSingleValue(of: id(ofDepth: currentValue)) else { throw Abandoned() }
        try writeMembers(of: value)
    }

    /// `{`, the members, `}`. A member that is not written in place is a value nested in the
    /// innermost open one, as in a dictionary; an error abandons the stream (the tree then
    /// writes the whole response again and reports the error with its full coding path).
    func writeMembers<Value: JSONMembers>(of value: Value) throws {
        withBytes { $0.append(UInt8(ascii: "{")) }
        var object = JSONMemberWriter(stream: self)
        do {
            try value.writeMembers(to: &object)
        } catch {
            abandon()
            throw error
        }
        withBytes { $0.append(UInt8(ascii: "}")) }
    }
}
