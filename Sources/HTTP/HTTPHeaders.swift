/// Header fields in the order they arrived, repeats kept (RFC 9110 §5.3: a recipient may combine
/// repeated fields, but `Set-Cookie`-like fields cannot be, so nothing is merged here).
/// Lookups are case-insensitive (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    private var fields: [Element]

    public init() { fields = [] }

    public init(_ fields: [Element]) { self.fields = fields }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Element]> { fields.makeIterator() }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        for field in fields where field.name.equalsIgnoringASCIICase(name) { return field.value }
        return nil
    }

    /// Every value of `name`, in arrival order.
    public func values(for name: String) -> [String] {
        fields.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Appends a field, keeping any existing ones with the same name.
    public mutating func add(_ name: String, _ value: String) { append((name, value)) }

    /// Replaces every field named `name` with a single one.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        append((name, value))
    }

    /// Makes room for a few fields at the first: a response carries three or four, and growing
    /// the array one field at a time cost an allocation per field.
    private mutating func append(_ field: Element) {
        if fields.capacity == 0 { fields.reserveCapacity(4) }
        fields.append(field)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// True when a comma-separated list field (`Connection`, `Expect`) carries `token`.
    public func hasToken(_ token: String, in name: String) -> Bool {
        for field in fields where field.name.equalsIgnoringASCIICase(name) {
            if field.value.equalsIgnoringASCIICase(token) { return true }
            guard field.value.utf8.contains(UInt8(ascii: ",")) else { continue }
            for part in field.value.split(separator: ",") {
                if part.trimmingHTTPWhitespace().equalsIgnoringASCIICase(token) { return true }
            }
        }
        return false
    }
}

extension StringProtocol {
    /// Runs `body` over the text's UTF-8 bytes, without copying when the string is stored
    /// contiguously (native and small strings are).
    @inlinable
    public func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        return try Array(utf8).withUnsafeBufferPointer(body)
    }

    /// ASCII case-insensitive comparison; header names and tokens are ASCII (RFC 9110 §5.1).
    /// Inlinable so callers in other modules get it specialized for their string types; the
    /// generic version costs some 2,000 instructions for a six-letter word.
    @inlinable
    public func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return withUTF8Bytes { x in other.withUTF8Bytes { y in Self.equalIgnoringCase(x, y) } }
    }

    @usableFromInline
    static func equalIgnoringCase(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<x.count where x[index] != y[index] {
            let lx = (x[index] >= 65 && x[index] <= 90) ? x[index] + 32 : x[index]
            let ly = (y[index] >= 65 && y[index] <= 90) ? y[index] + 32 : y[index]
            if lx != ly { return false }
        }
        return true
    }

    /// Strips optional whitespace (SP / HTAB, RFC 9110 §5.6.3) from both ends.
    public func trimmingHTTPWhitespace() -> Substring {
        let s = Substring(self)
        var start = s.startIndex, end = s.endIndex
        while start < end, s[start] == " " || s[start] == "\t" { start = s.index(after: start) }
        while end > start {
            let before = s.index(before: end)
            guard s[before] == " " || s[before] == "\t" else { break }
            end = before
        }
        return s[start..<end]
    }
}
