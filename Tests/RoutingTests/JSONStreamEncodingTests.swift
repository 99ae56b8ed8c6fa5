import Foundation
import Synchronization
import Testing

@testable import Core
@testable import Routing

/// `encodeBytes` writes without building a `JSONValue`; its bytes must equal the tree path's
/// (`JSONWriter.serialize(try encode(value))`) for every model, and models that write out of
/// order must still come out the same, through the tree.
@Suite struct JSONStreamEncodingTests {
    /// Checks that both paths give the same bytes, and whether the stream wrote them itself
    /// (`streams`) or gave up and left them to the tree.
    static func expectSameBytes<T: Encodable>(
        _ value: T, streams: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let tree = String(decoding: JSONWriter.serialize(try JSONValueEncoder().encode(value)), as: UTF8.self)
        let bytes = String(decoding: try JSONValueEncoder().encodeBytes(value), as: UTF8.self)
        #expect(bytes == tree, sourceLocation: sourceLocation)
        let streamed = JSONStreamEncoder.bytes(of: value).map { String(decoding: $0, as: UTF8.self) }
        #expect((streamed != nil) == streams, "streamed: \(streamed ?? "nil")", sourceLocation: sourceLocation)
        if let streamed { #expect(streamed == tree, sourceLocation: sourceLocation) }
    }

    enum Status: String, Codable { case open, onHold }
    enum Priority: Int, Codable { case low = 1, high = 9 }
    enum Shape: Encodable { case circle(radius: Double), square(side: ExactDecimal, label: String?), none }
    struct Nothing: Encodable {}

    struct Address: Encodable {
        var line1: String
        var line2: String?
        var postalCode: String
        var countryCode: String
    }

    struct Line: Encodable {
        var lineNo: Int
        var itemId: UUID
        var quantity: ExactDecimal
        var unitPrice: Int64
        var discountPercent: ExactDecimal?
        var promisedOn: LocalDate?
        var shippedAt: Date?
    }

    struct Everything: Encodable {
        var id = UUID(uuidString: "7F1C2B9E-3A4D-4E5F-8A6B-7C8D9E0F1A2B")!
        var name = "Grüße \"quoted\" back\\slash\n\ttab \u{0}\u{1}\u{1F}\u{7F} 日本 🎉"
        var status = Status.onHold
        var priority = Priority.high
        var statuses: [Status] = [.open, .onHold]
        var address: Address? = Address(line1: "1 Main St", line2: nil, postalCode: "12345", countryCode: "DE")
        var noAddress: Address? = nil
        var lines = (1...3).map { i in
            Line(
                lineNo: i, itemId: UUID(uuidString: "00000000-0000-0000-0000-00000000000\(i)")!,
                quantity: ExactDecimal(thousandths: Int64(i) * 1250), unitPrice: 1999,
                discountPercent: i == 2 ? ExactDecimal(thousandths: 12_500) : nil,
                promisedOn: i == 3 ? LocalDate("2026-12-01") : nil,
                shippedAt: i == 1 ? Date(timeIntervalSince1970: 1_790_000_000.1234) : nil)
        }
        var noLines: [Line] = []
        var total = ExactDecimal(thousandths: -1_234_500)
        var decimal = Decimal(string: "-12.3400")!
        var ratio = 0.1
        var third = 1.0 / 3
        var tiny = 1e-7
        var huge = 1e300
        var float: Float = 0.1
        var createdAt = Date(timeIntervalSinceReferenceDate: -0.0005)
        var dueOn = LocalDate("0001-01-01")!
        var website = URL(string: "https://example.com/a?b=c&d=é")!
        var flags = [true, false]
        var int8 = Int8.min, int16 = Int16.min, int32 = Int32.min, int64 = Int64.min, int = Int.max
        var uint8 = UInt8.max, uint16 = UInt16.max, uint32 = UInt32.max, uint64 = UInt64.max, uint = UInt.max
        var int128 = Int128.min, uint128 = UInt128.max
        var optionals: [Int?] = [1, nil, 3]
        var nestedOptional: Int?? = .some(nil)
        var matrix = [[1, 2], [], [3]]
        var tierPrices: [String: Int64] = ["silver": 950, "Gold Tier": 900, "a_b": 1, "bronzeTier": 990]
        var nestedMap: [String: [String: Bool]] = ["outerKey": ["innerKey": true], "empty": [:]]
        var mapOfModels: [String: Line?] = ["none": nil]
        var metadata: JSONValue = ["keepMe": [1, .number("2.50"), .null, "x"], "inner": ["camelCase": true]]
        var shapes: [Shape] = [.circle(radius: 1.5), .square(side: ExactDecimal(thousandths: 2000), label: nil), .none]
        var nothing = Nothing()
        var nothings = [Nothing(), Nothing()]
        var encoded = EncodedJSON(["keepMe", "quote\"d\n", .number("2.50"), .null, ["innerKey": true], []])
    }

    @Test func models_withEverySpecialType_encodeAlike() throws {
        try Self.expectSameBytes(Everything())
        try Self.expectSameBytes([Everything(), Everything()])
        try Self.expectSameBytes(Everything().lines)
    }

    /// `Address` and `Line` again, written member by member (`JSONMembers`): the same bytes as
    /// the synthesized `Encodable`, streamed and through the tree, for every overload.
    struct ListedAddress: JSONMembers {
        var address: Address

        func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("line1", address.line1)
            try object.member("line2", address.line2)
            try object.member("postal_code", address.postalCode)
            try object.member("country_code", address.countryCode)
        }
    }

    struct ListedLine: JSONMembers {
        var line: Line
        var status: Status? = .onHold
        var noStatus: Status? = nil
        var flag: Bool? = true
        var tags = ["a", "quote\"d", "日本"]
        var count: Int? = nil
        var total: Int64? = -5
        var owner: UUID? = nil
        var address: ListedAddress? = ListedAddress(
            address: Address(line1: "1 Main St", line2: nil, postalCode: "12345", countryCode: "DE"))

        func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("line_no", line.lineNo)
            try object.member("item_id", line.itemId)
            try object.member("quantity", line.quantity)
            try object.member("unit_price", line.unitPrice)
            try object.member("discount_percent", line.discountPercent)
            try object.member("promised_on", line.promisedOn)
            try object.member("shipped_at", line.shippedAt)
            try object.member("status", status)
            try object.member("no_status", noStatus)
            try object.member("flag", flag)
            try object.member("tags", tags)
            try object.member("count", count)
            try object.member("total", total)
            try object.member("owner", owner)
            try object.member("address", address)
        }
    }

    struct SynthesizedLine: Encodable {
        var line: Line
        var status: Status? = .onHold
        var noStatus: Status? = nil
        var flag: Bool? = true
        var tags = ["a", "quote\"d", "日本"]
        var count: Int? = nil
        var total: Int64? = -5
        var owner: UUID? = nil
        var address: Address? = Address(line1: "1 Main St", line2: nil, postalCode: "12345", countryCode: "DE")

        /// The line's members first, then these, as `ListedLine` writes them.
        func encode(to encoder: any Encoder) throws {
            try line.encode(to: encoder)
            enum Keys: String, CodingKey { case status, noStatus, flag, tags, count, total, owner, address }
            var object = encoder.container(keyedBy: Keys.self)
            try object.encode(status, forKey: .status)
            try object.encode(noStatus, forKey: .noStatus)
            try object.encode(flag, forKey: .flag)
            try object.encode(tags, forKey: .tags)
            try object.encode(count, forKey: .count)
            try object.encode(total, forKey: .total)
            try object.encode(owner, forKey: .owner)
            try object.encode(address, forKey: .address)
        }
    }

    @Test func memberLists_writeWhatTheSynthesizedEncodingWrites() throws {
        for line in Everything().lines {
            try Self.expectSameBytes(ListedLine(line: line))
            try Self.expectSameBytes([ListedLine(line: line), ListedLine(line: line)])
            #expect(
                try JSONValueEncoder().encodeBytes(ListedLine(line: line))
                    == JSONValueEncoder().encodeBytes(SynthesizedLine(line: line)))
            #expect(
                try JSONWriter.serialize(JSONValueEncoder().encode(ListedLine(line: line)))
                    == JSONValueEncoder().encodeBytes(SynthesizedLine(line: line)))
        }
    }

    /// A date the format cannot hold inside a member list: the stream gives up and the tree
    /// throws, as for any model.
    @Test func memberList_withAnUnwritableMember_throwsAsTheTreeDoes() {
        var line = Everything().lines[0]
        line.shippedAt = Date(timeIntervalSince1970: -70_000_000_000)
        #expect(JSONStreamEncoder.bytes(of: ListedLine(line: line)) == nil)
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encodeBytes(ListedLine(line: line)) }
    }

    @Test func manyThreadsAtOnce_eachWithItsOwnTypeTable_writeTheSameBytes() throws {
        // Each thread learns every type's form for itself; none may see another's half-built
        // table or write a different document.
        let expected = try JSONValueEncoder().encodeBytes(Everything())
        let mismatches = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for _ in 0..<50 where (try? JSONValueEncoder().encodeBytes(Everything())) != expected {
                mismatches.add(1, ordering: .relaxed)
            }
        }
        #expect(mismatches.load(ordering: .relaxed) == 0)
    }

    /// Written once and copied: the same bytes as the array it holds, through either path.
    @Test func encodedJSON_writesWhatItsValueWrites() throws {
        struct Listed: Encodable { var userId = 7; var permissions: [String] }
        struct PreListed: Encodable { var userId = 7; var permissions: EncodedJSON }
        for names in [[], ["a.read"], ["customers.read", "quote\"d", "back\\slash", "new\nline", "日本"]] {
            let encoded = EncodedJSON(.array(names.map { .string($0) }))
            try Self.expectSameBytes(PreListed(permissions: encoded))
            try Self.expectSameBytes(encoded)
            #expect(
                try JSONValueEncoder().encodeBytes(PreListed(permissions: encoded))
                    == JSONValueEncoder().encodeBytes(Listed(permissions: names)))
        }
    }

    @Test func topLevelValues_encodeAlike() throws {
        try Self.expectSameBytes("text \"with\" escapes\u{8}")
        try Self.expectSameBytes(42)
        try Self.expectSameBytes(Optional<Int>.none)
        try Self.expectSameBytes(Status.open)
        try Self.expectSameBytes(ExactDecimal(thousandths: 1500))
        try Self.expectSameBytes(JSONValue.object(JSONObject([("camelCase", .null)])))
        try Self.expectSameBytes(["zKey": 1, "aKey": 2])
        try Self.expectSameBytes(URL(string: "https://example.com")!)
        try Self.expectSameBytes(Nothing())
        try Self.expectSameBytes([Nothing]())
    }

    /// Arbitrary names, for keys that need conversion edge cases or escaping.
    struct NameKey: CodingKey {
        let stringValue: String
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
        var intValue: Int? { nil }
    }

    struct Named: Encodable {
        var names: [String]
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: NameKey.self)
            for (position, name) in names.enumerated() { try container.encode(position, forKey: NameKey(name)) }
        }
    }

    @Test func keyNames_convertAndEscapeAlike() throws {
        try Self.expectSameBytes(
            Named(names: [
                "userID", "URLString", "line1", "a_b", "HTTPSProxy", "_leading", "trailing_", "already_snake_Case", "x",
                "", "naïveKey", "ÄrgerLevel", "quote\"Key", "back\\slashKey", "tab\tKey", "nul\u{0}", "with space",
                "v2Beta", "ABC",
            ]))
    }

    @Test func wideObjects_withDistinctNames_stream() throws {
        try Self.expectSameBytes(Named(names: (0..<300).map { "field\($0)Name" }))
    }

    @Test func repeatedNames_keepFirstPosition_lastValue_throughTheTree() throws {
        struct Twins: Encodable {
            var userID = 1
            var middle = 2
            var userId = 3
        }
        try Self.expectSameBytes(Twins(), streams: false)
        try Self.expectSameBytes(Named(names: (0..<100).map { "field\($0)" } + ["field7"]), streams: false)
        try Self.expectSameBytes([Named(names: ["a", "b"]), Named(names: ["a", "a"])], streams: false)
    }

    enum FirstKeys: String, CodingKey { case firstName, inner, items }
    enum SecondKeys: String, CodingKey { case lastName, later }

    @Test func keyedContainerAskedTwice_writesOneObject() throws {
        struct Merged: Encodable {
            func encode(to encoder: any Encoder) throws {
                var first = encoder.container(keyedBy: FirstKeys.self)
                try first.encode("Ada", forKey: .firstName)
                var inner = first.nestedContainer(keyedBy: SecondKeys.self, forKey: .inner)
                try inner.encode(1, forKey: .later)
                var second = encoder.container(keyedBy: SecondKeys.self)
                try second.encode("Lovelace", forKey: .lastName)
                try first.encode([1], forKey: .items)
            }
        }
        try Self.expectSameBytes(Merged())
        try Self.expectSameBytes([Merged(), Merged()])
    }

    class Animal: Encodable {
        var legCount = 4
        enum CodingKeys: String, CodingKey { case legCount }
    }

    final class Dog: Animal {
        var goodBoy = true
        enum DogKeys: String, CodingKey { case goodBoy, parentRecord }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: DogKeys.self)
            try container.encode(goodBoy, forKey: .goodBoy)
            try super.encode(to: container.superEncoder())
            try super.encode(to: container.superEncoder(forKey: .parentRecord))
        }
    }

    final class Cat: Animal {
        var lives = 9
        enum CatKeys: String, CodingKey { case lives }
        override func encode(to encoder: any Encoder) throws {
            try super.encode(to: encoder)
            var container = encoder.container(keyedBy: CatKeys.self)
            try container.encode(lives, forKey: .lives)
        }
    }

    @Test func classHierarchies_encodeAlike() throws {
        try Self.expectSameBytes(Dog())
        try Self.expectSameBytes(Cat())
        try Self.expectSameBytes([Dog() as Animal, Cat(), Animal()])
    }

    @Test func superEncoders_inArrays_andUnused_encodeAlike() throws {
        struct Supers: Encodable {
            func encode(to encoder: any Encoder) throws {
                var array = encoder.unkeyedContainer()
                try Dog().encode(to: array.superEncoder())
                _ = array.superEncoder()
                var single = array.superEncoder().singleValueContainer()
                try single.encode(ExactDecimal(thousandths: 5))
                try ExactDecimal(thousandths: 7).encode(to: array.superEncoder())
                try JSONValue.array([1, "two"]).encode(to: array.superEncoder())
                try array.encode(array.count)
            }
        }
        try Self.expectSameBytes(Supers())
    }

    @Test func nestedContainers_leftOpen_areClosedInOrder() throws {
        struct Nested: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: FirstKeys.self)
                var inner = container.nestedContainer(keyedBy: SecondKeys.self, forKey: .inner)
                var items = inner.nestedUnkeyedContainer(forKey: .later)
                try items.encode(items.count)
                var element = items.nestedContainer(keyedBy: FirstKeys.self)
                try element.encodeNil(forKey: .firstName)
                _ = items.nestedUnkeyedContainer()
                try items.encode(items.count)
                try container.encode("after", forKey: .firstName)
                _ = container.nestedUnkeyedContainer(forKey: .items)
            }
        }
        try Self.expectSameBytes(Nested())
    }

    @Test func outOfOrderWrites_goThroughTheTree() throws {
        struct LateNested: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: FirstKeys.self)
                var inner = container.nestedContainer(keyedBy: SecondKeys.self, forKey: .inner)
                try container.encode("Ada", forKey: .firstName)
                try inner.encode(1, forKey: .later)
            }
        }
        struct LateSuper: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: FirstKeys.self)
                let parent = container.superEncoder()
                try container.encode("Ada", forKey: .firstName)
                try Animal().encode(to: parent)
            }
        }
        struct LateElement: Encodable {
            func encode(to encoder: any Encoder) throws {
                var array = encoder.unkeyedContainer()
                var first = array.nestedUnkeyedContainer()
                try array.encode(2)
                try first.encode(1)
            }
        }
        try Self.expectSameBytes(LateNested(), streams: false)
        try Self.expectSameBytes(LateSuper(), streams: false)
        try Self.expectSameBytes(LateElement(), streams: false)
        try Self.expectSameBytes(["wrapped": [LateNested()]], streams: false)
    }

    @Test func replacedContents_goThroughTheTree() throws {
        struct TwoSingles: Encodable {
            func encode(to encoder: any Encoder) throws {
                var single = encoder.singleValueContainer()
                try single.encode(1)
                try single.encode("last wins")
            }
        }
        struct KeyedThenUnkeyed: Encodable {
            func encode(to encoder: any Encoder) throws {
                var keyed = encoder.container(keyedBy: FirstKeys.self)
                try keyed.encode(1, forKey: .firstName)
                var array = encoder.unkeyedContainer()
                try array.encode(2)
            }
        }
        struct KeyedThenRaw: Encodable {
            func encode(to encoder: any Encoder) throws {
                var keyed = encoder.container(keyedBy: FirstKeys.self)
                try keyed.encode(1, forKey: .firstName)
                try JSONValue.string("raw wins").encode(to: encoder)
            }
        }
        try Self.expectSameBytes(TwoSingles(), streams: false)
        try Self.expectSameBytes(KeyedThenUnkeyed(), streams: false)
        try Self.expectSameBytes(KeyedThenRaw(), streams: false)
    }

    @Test func forwardedEncoders_writeNumbersAndRawJSON() throws {
        struct Amount: Encodable {
            var value = ExactDecimal(thousandths: 12_340)
            func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
        }
        struct Raw: Encodable {
            var value: JSONValue = ["someKey": [.number("1.10"), "x"]]
            func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
        }
        try Self.expectSameBytes(Amount())
        try Self.expectSameBytes(Raw())
        try Self.expectSameBytes([
            "amounts": AnyModel(models: [Amount(), Amount()]), "raw": AnyModel(models: [Raw(), Amount()]),
        ])
    }

    /// Lets a dictionary hold models of different types.
    struct AnyModel: Encodable {
        let models: [any Encodable & Sendable]
        func encode(to encoder: any Encoder) throws {
            var array = encoder.unkeyedContainer()
            for model in models { try array.encode(model) }
        }
    }

    @Test func codingPaths_areTheTreePaths() throws {
        struct PathEcho: Encodable {
            func encode(to encoder: any Encoder) throws {
                var single = encoder.singleValueContainer()
                try single.encode(encoder.codingPath.map(\.stringValue).joined(separator: "/"))
            }
        }
        struct ContainerPaths: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: FirstKeys.self)
                var inner = container.nestedContainer(keyedBy: SecondKeys.self, forKey: .inner)
                try inner.encode(inner.codingPath.map(\.stringValue), forKey: .later)
                var items = container.nestedUnkeyedContainer(forKey: .items)
                try items.encode(PathEcho())
                try items.encode(items.codingPath.map(\.stringValue))
            }
        }
        struct Holder: Encodable {
            var echo = PathEcho()
            var list = [PathEcho(), PathEcho()]
            var map = ["someKey": [PathEcho()]]
            var optional: PathEcho? = PathEcho()
            var containers = ContainerPaths()
        }
        try Self.expectSameBytes(PathEcho())
        try Self.expectSameBytes([Holder()])
    }

    /// The error each path throws, as comparable text.
    static func failure<T: Encodable>(_ encode: () throws -> T) -> String {
        do {
            _ = try encode()
            return "no error"
        } catch let EncodingError.invalidValue(_, context) {
            return "invalidValue at \(context.codingPath.map(\.stringValue)): \(context.debugDescription)"
        } catch {
            return "\(error)"
        }
    }

    static func expectSameFailure<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) {
        let tree = failure { try JSONValueEncoder().encode(value) }
        #expect(tree != "no error", sourceLocation: sourceLocation)
        #expect(failure { try JSONValueEncoder().encodeBytes(value) } == tree, sourceLocation: sourceLocation)
    }

    @Test func unencodableValues_throwTheSameErrors() {
        struct Holder: Encodable {
            var before = 1
            var value: Double
        }
        struct Dated: Encodable { var items: [Date] }
        for number in [Double.nan, .infinity, -.infinity] {
            Self.expectSameFailure(Holder(value: number))
            Self.expectSameFailure(["fine": [Holder(value: 1), Holder(value: number)]])
            Self.expectSameFailure([number])
            Self.expectSameFailure(Float(number))
        }
        Self.expectSameFailure(Decimal.nan)
        Self.expectSameFailure(Dated(items: [Date(), Date(timeIntervalSince1970: 1e12)]))
        Self.expectSameFailure([Date.distantPast])
    }

    @Test func modelErrors_propagateUnchanged() {
        struct Refuses: Encodable {
            func encode(to encoder: any Encoder) throws {
                throw EncodingError.invalidValue(1, .init(codingPath: encoder.codingPath, debugDescription: "refused"))
            }
        }
        struct Holder: Encodable { var items = [Refuses()] }
        Self.expectSameFailure(Refuses())
        Self.expectSameFailure(Holder())
    }

    @Test func errorsCaughtByTheModel_dropTheMemberAsTheTreeDoes() throws {
        struct Forgiving: Encodable {
            enum Keys: String, CodingKey { case before, ratio, after }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(1, forKey: .before)
                try? container.encode(Double.nan, forKey: .ratio)
                try container.encode(2, forKey: .after)
            }
        }
        try Self.expectSameBytes(Forgiving(), streams: false)
        #expect(
            String(decoding: try JSONValueEncoder().encodeBytes(Forgiving()), as: UTF8.self)
                == #"{"before":1,"after":2}"#)
    }
}
