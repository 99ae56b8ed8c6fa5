/// The members of a JSON object, in insertion order, with unique keys.
///
/// Order is kept so responses come out in the order the code (or the client) wrote them, which
/// keeps output stable for ETags, logs and diffs. Equality ignores order, because JSON objects
/// are unordered (RFC 8259 §4). Small objects are searched linearly; larger ones get a hash
/// index so decoding a wide object stays linear overall.
public struct JSONObject: Equatable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// One member.
    public typealias Element = (key: String, value: JSONValue)

    /// Objects up to this size are searched linearly: cheaper than hashing for typical bodies.
    static let indexThreshold = 16

    private(set) var entries: [Element]
    /// Key → position, present only when `entries.count > indexThreshold`.
    private var index: [String: Int]?

    /// An empty object.
    public init() {
        entries = []
        index = nil
    }

    /// An object with `pairs` in order. A repeated key keeps its first position and takes the
    /// last value (the parser rejects duplicates before it gets here; hand-built objects should
    /// not have them but must not trap either).
    public init(_ pairs: [(String, JSONValue)]) {
        self.init()
        entries.reserveCapacity(pairs.count)
        for (key, value) in pairs { set(key, value) }
    }

    /// Like `init(_:)`, in literal order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    /// For the parser, which has already proven the keys unique and may have built the index.
    init(uniqueEntries: [Element], index: [String: Int]?) {
        entries = uniqueEntries
        self.index = uniqueEntries.count > Self.indexThreshold ? (index ?? Self.buildIndex(uniqueEntries)) : nil
    }

    /// The value of member `key`, nil when absent. Setting nil removes the member; setting a
    /// value replaces it in place or appends it.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let position = position(of: key) else { return nil }
            return entries[position].value
        }
        set {
            if let newValue { set(key, newValue) } else { remove(key) }
        }
    }

    /// Member keys in order.
    public var keys: [String] { entries.map(\.key) }

    /// Member values in key order.
    public var values: [JSONValue] { entries.map(\.value) }

    /// Number of members.
    public var count: Int { entries.count }

    /// True when the object has no members.
    public var isEmpty: Bool { entries.isEmpty }

    /// True when member `key` exists (even when its value is `null`).
    public func contains(_ key: String) -> Bool { position(of: key) != nil }

    /// Replaces the value of `key` keeping its position, or appends a new member at the end.
    public mutating func set(_ key: String, _ value: JSONValue) {
        if let position = position(of: key) {
            entries[position].value = value
            return
        }
        entries.append((key: key, value: value))
        if index != nil {
            index![key] = entries.count - 1
        } else if entries.count > Self.indexThreshold {
            index = Self.buildIndex(entries)
        }
    }

    /// Removes member `key`, returning its value (nil when it was absent). Later members keep
    /// their relative order.
    @discardableResult
    public mutating func remove(_ key: String) -> JSONValue? {
        guard let position = position(of: key) else { return nil }
        let removed = entries.remove(at: position).value
        index = entries.count > Self.indexThreshold ? Self.buildIndex(entries) : nil
        return removed
    }

    /// Members in order.
    public func makeIterator() -> IndexingIterator<[Element]> {
        entries.makeIterator()
    }

    /// Same members with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        // Same order is the common case (round trips) and needs no lookups.
        var inOrder = true
        for (l, r) in zip(lhs.entries, rhs.entries) where l.key != r.key || l.value != r.value {
            inOrder = false
            break
        }
        if inOrder { return true }
        for entry in lhs.entries {
            guard let other = rhs[entry.key], other == entry.value else { return false }
        }
        return true
    }

    /// Position of member `key` in `entries`.
    func position(of key: String) -> Int? {
        if let index { return index[key] }
        return entries.firstIndex { $0.key == key }
    }

    /// A token that is the same for copies of this object and differs between live objects
    /// with members; the decoder uses it to find its bookkeeping for an object again.
    /// Meaningless (and not unique) for empty objects.
    var storageIdentity: UnsafeRawPointer? {
        entries.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) }
    }

    private static func buildIndex(_ entries: [Element]) -> [String: Int] {
        var index = [String: Int](minimumCapacity: entries.count)
        for (position, entry) in entries.enumerated() { index[entry.key] = position }
        return index
    }
}
