import FoundationEssentials

/// The `Encoder` behind `JSONValueEncoder.encodeBytes`: writes UTF-8 into one buffer as the
/// model encodes, with no `JSONValue` tree in between.
///
/// Its output must be byte for byte what `encode` followed by `JSONWriter` gives. Writing in
/// place can only do that while the model writes in order, so the stream gives up (`abandoned`)
/// on anything it cannot place: a write into a container after a later sibling was started, a
/// second kind of container for one value, a repeated member name, a read of a finished
/// container, or any error. `encodeBytes` then encodes the value again through the tree, which
/// defines the result (including which error is thrown and its `codingPath`). Synthesized
/// `encode(to:)` only triggers this with two properties of one snake_case name (`userID`,
/// `userId`); the fallback is there to keep unusual hand-written ones exact, not fast.
///
/// One instance is the `Encoder` of every value it encodes (`currentValue` says which): an
/// object per nested value was a measurable share of the cost. Limit: an `Encoder` kept and used
/// after its `encode(to:)` returned acts for whichever value is being encoded then, which
/// `Encodable`'s contract does not allow anyway.
final class JSONStreamEncoder: Encoder {
    /// A JSON value that has been started and not finished. The open values form a stack;
    /// only the innermost one can be written to.
    struct OpenValue {
        enum Shape {
            /// Nothing written yet; finishing it writes `{}`, what a type that encodes nothing
            /// becomes.
            case unstarted
            case object
            case array
            /// Written in one piece (through a single-value container, or a dictionary the
            /// stream writes itself); finishing it writes nothing.
            case complete
        }

        var shape: Shape
        /// True when a write to an outer value may finish it: nested containers and super
        /// encoders, whose end the model never announces. False for a value whose `encode(to:)`
        /// is running, which a write outside it can only mean is out of order.
        let closable: Bool
        /// Tells a container for this value apart from one for a later value at the same depth.
        let serial: UInt32
        /// Members or elements started so far.
        var count = 0
        /// Where this object's member names start in `memberNames`.
        var firstName: Int
        /// One bit per member name in each word, from the name's hash: a name is searched for
        /// among the earlier ones only when both its bits are set, so checking for repeats
        /// stays linear in the number of members.
        var nameFilter: (UInt64, UInt64) = (0, 0)
        /// What this value adds to `codingPath` (nil for a single value's content, which has
        /// the path of its container).
        let pathKey: (any CodingKey)?
    }

    /// Names an open value for a container; stale once that value is finished.
    struct OpenValueID {
        let depth: Int
        let serial: UInt32

        /// Refers to nothing; containers handed out after the stream was abandoned get it.
        static let none = OpenValueID(depth: -1, serial: 0)
    }

    /// A member name already written in an object still open: its quoted, escaped bytes in
    /// `bytes`.
    struct MemberName {
        let range: Range<Int>
        let hash: UInt64
    }

    /// Thrown to unwind once the stream is abandoned; never leaves `encodeBytes`.
    struct Abandoned: Error {}

    // Dynamic exclusivity checks on these class properties were a third of the encoding
    // time. They are safe without: one thread uses a stream, synchronously, and no access to
    // them spans a call into a model's `encode(to:)`.
    @exclusivity(unchecked) private(set) var bytes: [UInt8] = []
    @exclusivity(unchecked) private var open: [OpenValue] = []
    @exclusivity(unchecked) private var memberNames: [MemberName] = []
    @exclusivity(unchecked) private var nextSerial: UInt32 = 1
    /// Member names as written (quoted, snake_case) with their hashes, by coding key, kept per
    /// thread across responses: converting each name of each row again was an eighth of a
    /// page's cost, and a cache per response cost single records more than it saved.
    private let writtenNames = WrittenNames.perThread.value
    /// Depth of the value whose `encode(to:)` is running, the one this `Encoder` stands for.
    @exclusivity(unchecked) var currentValue = -1
    /// Set when output could differ from the tree path's; `bytes` are then discarded.
    @exclusivity(unchecked) private(set) var abandoned = false

    /// Room to build a member's `,"name":` with a short value and append them at once
    /// (`JSONMemberWriter`): each append checks the buffer's uniqueness and capacity, and a
    /// member made of four appends cost more than its value.
    let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 512)

    init() {
        bytes.reserveCapacity(256)
        open.reserveCapacity(8)
        memberNames.reserveCapacity(16)
    }

    deinit { scratch.deallocate() }

    /// The bytes of `value`, or nil when the stream was abandoned (the caller then encodes
    /// through the tree, which also reproduces any error).
    static func bytes<T: Encodable>(of value: T) -> [UInt8]? {
        let stream = JSONStreamEncoder()
        do {
            try stream.write(value, pathKey: nil)
        } catch {
            return nil
        }
        return stream.abandoned ? nil : stream.bytes
    }

    // MARK: Encoder

    var codingPath: [any CodingKey] {
        currentValue >= 0 ? open[...currentValue].compactMap(\.pathKey) : []
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        keyedContainer(keyedBy: type, for: id(ofDepth: currentValue))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        unkeyedContainer(for: id(ofDepth: currentValue))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONStreamSingleValueEncoding(stream: self, value: id(ofDepth: currentValue))
    }

    // MARK: Containers

    /// Asking again for the same value shares its object, as the tree path does (a subclass
    /// and its superclass write one object).
    func keyedContainer<Key: CodingKey>(keyedBy type: Key.Type, for id: OpenValueID) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(JSONStreamKeyedEncoding<Key>(stream: self, object: start(.object, id) ? id : .none))
    }

    func unkeyedContainer(for id: OpenValueID) -> any UnkeyedEncodingContainer {
        JSONStreamUnkeyedEncoding(stream: self, array: start(.array, id) ? id : .none)
    }

    /// Turns an unstarted value into an object or array; true when it already is one of that
    /// shape.
    private func start(_ shape: OpenValue.Shape, _ id: OpenValueID) -> Bool {
        guard !abandoned, isOpen(id) else { return abandon() }
        if open[id.depth].shape == shape { return true }
        // An unstarted value is always innermost: only started values get nested ones.
        guard open[id.depth].shape == .unstarted, id.depth == open.count - 1 else { return abandon() }
        bytes.append(shape == .object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        open[id.depth].shape = shape
        return true
    }

    func codingPath(of id: OpenValueID) -> [any CodingKey] {
        guard isOpen(id) else {
            abandon()
            return []
        }
        return open[...id.depth].compactMap(\.pathKey)
    }

    func count(of id: OpenValueID) -> Int {
        guard isOpen(id) else {
            abandon()
            return 0
        }
        return open[id.depth].count
    }

    // MARK: Order

    func id(ofDepth depth: Int) -> OpenValueID {
        depth >= 0 && depth < open.count ? OpenValueID(depth: depth, serial: open[depth].serial) : .none
    }

    private func isOpen(_ id: OpenValueID) -> Bool {
        id.depth >= 0 && id.depth < open.count && open[id.depth].serial == id.serial
    }

    @discardableResult
    func abandon() -> Bool {
        abandoned = true
        return false
    }

    /// Prepares a write to `id`: finishes the nested containers and super encoders left open
    /// inside it. False (and abandoned) when `id` is finished or a value still being encoded
    /// is inside it: the write would land out of order.
    private func makeInnermost(_ id: OpenValueID) -> Bool {
        if abandoned { return false }
        if id.depth >= 0, id.depth == open.count - 1, open[id.depth].serial == id.serial { return true }
        guard isOpen(id) else { return abandon() }
        while open.count - 1 > id.depth {
            guard open[open.count - 1].closable else { return abandon() }
            finishInnermost()
        }
        return true
    }

    func push(_ shape: OpenValue.Shape, closable: Bool, pathKey: (any CodingKey)?) -> OpenValueID {
        let serial = nextSerial
        nextSerial &+= 1
        open.append(
            OpenValue(shape: shape, closable: closable, serial: serial, firstName: memberNames.count, pathKey: pathKey))
        return OpenValueID(depth: open.count - 1, serial: serial)
    }

    /// Writes the end of the innermost value and forgets it.
    func finishInnermost() {
        let value = open.removeLast()
        switch value.shape {
        case .unstarted:
            bytes.append(UInt8(ascii: "{"))
            bytes.append(UInt8(ascii: "}"))
        case .object:
            bytes.append(UInt8(ascii: "}"))
            memberNames.removeSubrange(value.firstName...)
        case .array:
            bytes.append(UInt8(ascii: "]"))
        case .complete:
            break
        }
    }

    /// Finishes `id` once its `encode(to:)` has returned, with whatever it left open inside.
    func finish(_ id: OpenValueID) throws {
        guard makeInnermost(id) else { throw Abandoned() }
        finishInnermost()
    }

    /// Writes the separator, name and colon of a new member of object `id`. `name` is a Swift
    /// property name, written in snake_case, unless `verbatim`. False (and abandoned) when the
    /// write is out of order or the object already has that name: the tree keeps the first
    /// position and the last value of a repeated name, which cannot be written in one pass.
    func startMember(of id: OpenValueID, name: String, verbatim: Bool = false) -> Bool {
        guard makeInnermost(id) else { return false }
        if open[id.depth].count > 0 { bytes.append(UInt8(ascii: ",")) }
        open[id.depth].count += 1
        let start = bytes.count
        if verbatim {
            JSONWriter.writeString(name, into: &bytes)
        } else {
            JSONKeyCase.writeSnakeCase(name, into: &bytes)
        }
        guard addMemberName(start..<bytes.count, to: id.depth) else { return abandon() }
        bytes.append(UInt8(ascii: ":"))
        return true
    }

    /// `startMember` for a coding key: the name comes from `writtenNames` when this key was
    /// written before in this stream.
    func startMember<Key: CodingKey>(of id: OpenValueID, key: Key) -> Bool {
        guard let identity = KeyIdentity(key) else { return startMember(of: id, name: key.stringValue) }
        guard makeInnermost(id) else { return false }
        if open[id.depth].count > 0 { bytes.append(UInt8(ascii: ",")) }
        open[id.depth].count += 1
        let start = bytes.count
        let hash: UInt64
        let slot = identity.slot
        if writtenNames.entries[slot].identity == identity {
            bytes.append(contentsOf: writtenNames.entries[slot].bytes)
            hash = writtenNames.entries[slot].hash
        } else {
            JSONKeyCase.writeSnakeCase(key.stringValue, into: &bytes)
            hash = bytes.withUnsafeBytes { Self.nameHash(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            writtenNames.entries[slot] = WrittenNames.Entry(
                identity: identity, bytes: Array(bytes[start...]), hash: hash)
        }
        guard addMemberName(start..<bytes.count, hash: hash, to: id.depth) else { return abandon() }
        bytes.append(UInt8(ascii: ":"))
        return true
    }

    /// One thread's written member names, in a table addressed by the key's identity, where a
    /// newer key takes the slot of an older one: hashing into a `Dictionary` cost as much as
    /// the conversion it saved.
    final class WrittenNames {
        static let perThread = PerThread { WrittenNames() }
        static let slotCount = 1 << KeyIdentity.slotBits

        struct Entry {
            var identity: KeyIdentity?
            var bytes: [UInt8]
            var hash: UInt64
        }

        @exclusivity(unchecked) var entries = [Entry](
            repeating: Entry(identity: nil, bytes: [], hash: 0), count: slotCount)
    }

    /// Names a coding key by its type and value, for keys whose name follows from those alone:
    /// enums without payloads (synthesized `CodingKeys`), one byte or less. Others get nil.
    struct KeyIdentity: Equatable {
        let type: ObjectIdentifier
        let tag: UInt8

        init?<Key: CodingKey>(_ key: Key) {
            guard MemoryLayout<Key>.size <= 1 else { return nil }
            type = ObjectIdentifier(Key.self)
            tag = MemoryLayout<Key>.size == 0 ? 0 : withUnsafeBytes(of: key) { $0[0] }
        }

        static let slotBits = 10

        /// Its place in `WrittenNames` (Fibonacci hashing of the type's address and the tag).
        var slot: Int {
            let mixed = (UInt64(UInt(bitPattern: type)) ^ UInt64(tag) &* 0x1_0000_0001) &* 0x9e37_79b9_7f4a_7c15
            return Int(truncatingIfNeeded: mixed >> UInt64(64 - Self.slotBits))
        }
    }

    /// Records a name written at `range`; false when the object at `depth` already has it.
    private func addMemberName(_ range: Range<Int>, to depth: Int) -> Bool {
        let hash = bytes.withUnsafeBytes { Self.nameHash(UnsafeRawBufferPointer(rebasing: $0[range])) }
        return addMemberName(range, hash: hash, to: depth)
    }

    private func addMemberName(_ range: Range<Int>, hash: UInt64, to depth: Int) -> Bool {
        let bits = (UInt64(1) << (hash >> 58), UInt64(1) << ((hash >> 52) & 63))
        let filter = open[depth].nameFilter
        if filter.0 & bits.0 != 0, filter.1 & bits.1 != 0 {
            let seen = bytes.withUnsafeBufferPointer { buffer in
                memberNames[open[depth].firstName...].contains { name in
                    name.hash == hash && buffer[name.range].elementsEqual(buffer[range])
                }
            }
            if seen { return false }
        }
        open[depth].nameFilter = (filter.0 | bits.0, filter.1 | bits.1)
        memberNames.append(MemberName(range: range, hash: hash))
        return true
    }

    /// A hash of a written name (quotes included, so at least two bytes) from its length and its
    /// first and last eight bytes: names that differ only in the middle collide, which costs a
    /// comparison, never a wrong answer.
    private static func nameHash(_ name: UnsafeRawBufferPointer) -> UInt64 {
        var hash = UInt64(name.count) &* 0x9e37_79b9_7f4a_7c15
        if name.count >= 8 {
            hash ^= name.loadUnaligned(as: UInt64.self)
            hash = (hash ^ (hash >> 31)) &* 0xbf58_476d_1ce4_e5b9
            hash ^= name.loadUnaligned(fromByteOffset: name.count - 8, as: UInt64.self)
        } else {
            for byte in name { hash = (hash << 8) ^ UInt64(byte) }
        }
        // splitmix64's finalizer, so that the filter's bits depend on every input bit.
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        return hash ^ (hash >> 31)
    }

    /// Writes the separator of a new element of array `id`; its index, or nil (and abandoned)
    /// when the write is out of order.
    func startElement(of id: OpenValueID) -> Int? {
        guard makeInnermost(id) else { return nil }
        let index = open[id.depth].count
        if index > 0 { bytes.append(UInt8(ascii: ",")) }
        open[id.depth].count = index + 1
        return index
    }

    /// Claims an unstarted value for a single value; false (and abandoned) when something was
    /// written to it already (the tree keeps only the last write).
    func startSingleValue(of id: OpenValueID) -> Bool {
        guard makeInnermost(id), open[id.depth].shape == .unstarted else { return abandon() }
        open[id.depth].shape = .complete
        return true
    }

    /// A nested object, array or (for a super encoder) unstarted value as the member or
    /// element just started.
    func openNested(_ shape: OpenValue.Shape, pathKey: any CodingKey) -> OpenValueID {
        switch shape {
        case .object: bytes.append(UInt8(ascii: "{"))
        case .array: bytes.append(UInt8(ascii: "["))
        case .unstarted, .complete: break
        }
        return push(shape, closable: true, pathKey: pathKey)
    }

    /// Gives the value writers below direct access to the buffer.
    func withBytes<Result>(_ body: (inout [UInt8]) throws -> Result) rethrows -> Result {
        try body(&bytes)
    }
}
