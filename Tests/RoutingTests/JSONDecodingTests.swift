import Core
import Foundation
import Routing
import Testing

/// `JSONValueDecoder`: key mapping, strict types, field paths and unknown-field reporting.
@Suite struct JSONDecodingTests {
    enum Kind: String, Codable, CaseIterable { case company, person }
    enum Channel: String, Codable { case web, phone }

    struct Address: Codable, Equatable {
        var line1: String
        var line2: String?
        var postalCode: String?
        var country: String
    }

    struct Line: Codable, Equatable {
        var sku: String
        var quantity: ExactDecimal
        var unitPrice: Int64
    }

    struct Customer: Codable, Equatable {
        var id: UUID
        var name: String
        var kind: Kind
        var creditLimit: ExactDecimal?
        var billingAddress: Address
        var lines: [Line]
        var createdAt: Date
        var birthday: LocalDate?
        var homepageURL: String?
        var tierPrices: [String: Int64]?
        var metadata: JSONValue?
    }

    static let customerText = #"""
        {"id":"7F1C2B9E-3A4D-4E5F-8A6B-7C8D9E0F1A2B","name":"Acme","kind":"company","credit_limit":1500.5,
         "billing_address":{"line1":"1 Main St","line2":null,"country":"NL"},
         "lines":[{"sku":"A-1","quantity":1.5,"unit_price":1999},{"sku":"B-2","quantity":3,"unit_price":250}],
         "created_at":"2026-11-22T09:30:00.123+02:00","birthday":"2024-02-29","homepage_url":"https://acme.example",
         "tier_prices":{"goldTier":900,"silver_tier":950},"metadata":{"sourceSystem":{"camelKey":[1,2.50]}}}
        """#

    static func json(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    /// The field errors decoding `text` as `T` produces (empty when it succeeds).
    static func errors<T: Decodable>(_ type: T.Type, _ text: String, decoder: JSONValueDecoder = JSONValueDecoder())
        throws -> [FieldError]
    {
        do {
            _ = try decoder.decode(T.self, from: try json(text))
            return []
        } catch let failure as JSONDecodingFailure {
            return failure.errors
        }
    }

    static func customer(replacing key: String, with value: JSONValue) throws -> String {
        var object = try #require(try json(customerText).objectValue)
        object.set(key, value)
        return JSONValue.object(object).description
    }

    @Test func snakeCaseMembers_decodeIntoCamelCaseProperties() throws {
        let customer = try JSONValueDecoder().decode(Customer.self, from: try Self.json(Self.customerText))
        #expect(customer.id.uuidString == "7F1C2B9E-3A4D-4E5F-8A6B-7C8D9E0F1A2B")
        #expect(customer.kind == .company)
        #expect(customer.creditLimit?.description == "1500.5")
        #expect(customer.billingAddress == Address(line1: "1 Main St", line2: nil, postalCode: nil, country: "NL"))
        #expect(customer.lines[0].quantity.thousandths == 1500)
        #expect(customer.lines[1].unitPrice == 250)
        #expect(RFC3339.format(customer.createdAt) == "2026-11-22T07:30:00.123Z")
        #expect(customer.birthday == LocalDate("2024-02-29"))
        #expect(customer.homepageURL == "https://acme.example")
        #expect(customer.tierPrices == ["goldTier": 900, "silver_tier": 950])
        #expect(customer.metadata == ["sourceSystem": ["camelKey": [1, .number("2.50")]]])
    }

    @Test func missingRequiredMembers_areRequired_atTheirPath() throws {
        #expect(
            try Self.errors(Address.self, #"{"line1":"x"}"#) == [FieldError(field: "country", message: "is required")])
        let text = try Self.customer(replacing: "billing_address", with: ["line1": "x"])
        #expect(
            try Self.errors(Customer.self, text) == [
                FieldError(field: "billing_address.country", message: "is required")
            ])
    }

    @Test func errorsInsideArraysOfNestedObjects_carryIndexedPaths() throws {
        let badQuantity = try Self.customer(
            replacing: "lines",
            with: [
                ["sku": "A", "quantity": 1, "unit_price": 1],
                ["sku": "B", "quantity": .number("1.2345"), "unit_price": 1],
            ])
        #expect(
            try Self.errors(Customer.self, badQuantity) == [
                FieldError(field: "lines[1].quantity", message: "must be a number with at most 3 decimal places")
            ])
        let badPrice = try Self.customer(
            replacing: "lines", with: [["sku": "A", "quantity": 1, "unit_price": .number("1.0")]])
        #expect(
            try Self.errors(Customer.self, badPrice) == [
                FieldError(field: "lines[0].unit_price", message: "must be an integer")
            ])
        let missingSku = try Self.customer(
            replacing: "lines",
            with: [["sku": "A", "quantity": 1, "unit_price": 1], ["quantity": 1, "unit_price": 1]])
        #expect(
            try Self.errors(Customer.self, missingSku) == [FieldError(field: "lines[1].sku", message: "is required")])
    }

    @Test(arguments: [
        (#"{"value":"1"}"#, "must be an integer"), (#"{"value":1.0}"#, "must be an integer"),
        (#"{"value":1e3}"#, "must be an integer"),
        (#"{"value":true}"#, "must be an integer"), (#"{"value":null}"#, "must not be null"),
        (#"{"value":9223372036854775808}"#, "must be an integer between -9223372036854775808 and 9223372036854775807"),
    ])
    func integers_acceptOnlyIntegerTextInRange(text: String, message: String) throws {
        struct Holder: Decodable { var value: Int }
        #expect(try Self.errors(Holder.self, text) == [FieldError(field: "value", message: message)])
    }

    @Test func sizedIntegers_checkTheirOwnRange() throws {
        struct Holder: Decodable { var small: Int8; var unsigned: UInt16; var wide: Int32 }
        #expect(try Self.errors(Holder.self, #"{"small":-128,"unsigned":65535,"wide":-5}"#).isEmpty)
        #expect(
            try Self.errors(Holder.self, #"{"small":128,"unsigned":1,"wide":1}"#) == [
                FieldError(field: "small", message: "must be an integer between -128 and 127")
            ])
        #expect(try Self.errors(Holder.self, #"{"small":1,"unsigned":-1,"wide":1}"#).first?.field == "unsigned")
    }

    @Test func scalars_areNeverCoercedFromOtherKinds() throws {
        struct Flags: Decodable { var on: Bool }
        struct Name: Decodable { var name: String }
        struct Amount: Decodable { var amount: ExactDecimal }
        struct Ratio: Decodable { var ratio: Double }
        #expect(
            try Self.errors(Flags.self, #"{"on":1}"#) == [FieldError(field: "on", message: "must be true or false")])
        #expect(try Self.errors(Flags.self, #"{"on":"true"}"#).first?.message == "must be true or false")
        #expect(try Self.errors(Name.self, #"{"name":42}"#) == [FieldError(field: "name", message: "must be a string")])
        #expect(
            try Self.errors(Amount.self, #"{"amount":"1.5"}"#) == [
                FieldError(field: "amount", message: "must be a number")
            ])
        #expect(
            try Self.errors(Amount.self, #"{"amount":1e12}"#).first?.message.hasPrefix("must be a number between")
                == true)
        #expect(try Self.errors(Ratio.self, #"{"ratio":0.1}"#).isEmpty)
        #expect(
            try Self.errors(Ratio.self, #"{"ratio":1e400}"#) == [
                FieldError(field: "ratio", message: "must be a number within range")
            ])
        #expect(try Self.errors(Ratio.self, #"{"ratio":"0.1"}"#).first?.message == "must be a number")
    }

    @Test func specialStrings_failWithTheirFormat() throws {
        struct Holder: Decodable { var id: UUID; var at: Date }
        #expect(
            try Self.errors(Holder.self, #"{"id":"nope","at":"2026-11-22T09:30:00Z"}"#) == [
                FieldError(field: "id", message: "must be a UUID")
            ])
        #expect(
            try Self.errors(Holder.self, #"{"id":"7f1c2b9e-3a4d-4e5f-8a6b-7c8d9e0f1a2b","at":"2026-11-22"}"#) == [
                FieldError(field: "at", message: "must be an RFC 3339 timestamp")
            ])
        #expect(
            try Self.errors(Holder.self, #"{"id":1,"at":"2026-11-22T09:30:00Z"}"#).first?.message == "must be a UUID")
    }

    @Test func nullForRequiredMembers_mustNotBeNull() throws {
        #expect(
            try Self.errors(Address.self, #"{"line1":null,"country":"NL"}"#) == [
                FieldError(field: "line1", message: "must not be null")
            ])
        let text = try Self.customer(replacing: "billing_address", with: .null)
        #expect(
            try Self.errors(Customer.self, text) == [FieldError(field: "billing_address", message: "must not be null")])
    }

    @Test func wrongRootKind_isReportedAtTheRoot() throws {
        #expect(try Self.errors(Address.self, "[]") == [FieldError(field: "", message: "must be an object")])
        #expect(try Self.errors([Line].self, "{}") == [FieldError(field: "", message: "must be an array")])
    }

    @Test func caseIterableEnums_listTheirValues() throws {
        let text = try Self.customer(replacing: "kind", with: "martian")
        #expect(
            try Self.errors(Customer.self, text) == [
                FieldError(field: "kind", message: "must be one of: company, person")
            ])
        struct Contact: Decodable { var channel: Channel }
        #expect(
            try Self.errors(Contact.self, #"{"channel":"fax"}"#) == [
                FieldError(field: "channel", message: "has an unsupported value")
            ])
        #expect(
            try Self.errors([Kind].self, #"["person","robot"]"#) == [
                FieldError(field: "[1]", message: "must be one of: company, person")
            ])
        #expect(
            try Self.errors([Kind].self, #"["person",3]"#) == [
                FieldError(field: "[1]", message: "must be one of: company, person")
            ])
        #expect(try Self.errors([Kind].self, #"[null]"#) == [FieldError(field: "[0]", message: "must not be null")])
    }

    struct PositiveQuantity: Decodable {
        var value: ExactDecimal
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            value = try container.decode(ExactDecimal.self)
            guard value > .zero else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be greater than 0")
            }
        }
    }

    struct Contact: Decodable {
        var email: String
        enum CodingKeys: String, CodingKey { case email }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            email = try container.decode(String.self, forKey: .email)
            guard email.contains("@") else {
                throw DecodingError.dataCorruptedError(
                    forKey: .email, in: container, debugDescription: "must be an email address")
            }
        }
    }

    struct Order: Decodable {
        var lines: [OrderLine]
        var primaryContact: Contact?
        struct OrderLine: Decodable { var quantity: PositiveQuantity }
    }

    @Test func modelValidationErrors_surfaceAtTheirPath() throws {
        #expect(
            try Self.errors(Order.self, #"{"lines":[{"quantity":1},{"quantity":0}]}"#) == [
                FieldError(field: "lines[1].quantity", message: "must be greater than 0")
            ])
        #expect(
            try Self.errors(Order.self, #"{"lines":[],"primary_contact":{"email":"nope"}}"#) == [
                FieldError(field: "primary_contact.email", message: "must be an email address")
            ])
        // The container's own errors are not re-worded by the model layer.
        #expect(
            try Self.errors(Order.self, #"{"lines":[{"quantity":0.0001}]}"#) == [
                FieldError(field: "lines[0].quantity", message: "must be a number with at most 3 decimal places")
            ])
    }

    @Test func nonDecodingErrorsFromModels_areInvalidAtThePath() throws {
        struct Boom: Error {}
        struct Exploding: Decodable { init(from decoder: any Decoder) throws { throw Boom() } }
        struct Holder: Decodable { var parts: [Exploding] }
        #expect(
            try Self.errors(Holder.self, #"{"parts":[1]}"#) == [FieldError(field: "parts[0]", message: "is invalid")])
    }

    @Test func unknownMembers_areAllReported_withFullPaths() throws {
        var object = try #require(try Self.json(Self.customerText).objectValue)
        object.set("bogus", 1)
        object.set("billing_address", ["line1": "x", "country": "NL", "zip": "1234"])
        object.set("lines", [["sku": "A", "quantity": 1, "unit_price": 1, "colour": "red", "size": "L"]])
        let errors = try Self.errors(Customer.self, JSONValue.object(object).description)
        #expect(
            errors == [
                FieldError(field: "bogus", message: "is not a known field"),
                FieldError(field: "billing_address.zip", message: "is not a known field"),
                FieldError(field: "lines[0].colour", message: "is not a known field"),
                FieldError(field: "lines[0].size", message: "is not a known field"),
            ])
        #expect(JSONDecodingFailure(errors: errors).isOnlyUnknownFields)
    }

    @Test func unknownMembers_areNotReported_whenOtherErrorsExist() throws {
        #expect(
            try Self.errors(Address.self, #"{"line1":1,"country":"NL","extra":true}"#) == [
                FieldError(field: "line1", message: "must be a string")
            ])
    }

    @Test func absentOptionals_andNulls_countAsKnown() throws {
        #expect(try Self.errors(Address.self, #"{"line1":"x","country":"NL"}"#).isEmpty)
        #expect(try Self.errors(Address.self, #"{"line1":"x","line2":null,"postal_code":null,"country":"NL"}"#).isEmpty)
    }

    @Test func camelCaseSpellings_areUnknown() throws {
        #expect(
            try Self.errors(Address.self, #"{"line1":"x","country":"NL","postalCode":"1"}"#) == [
                FieldError(field: "postalCode", message: "is not a known field")
            ])
    }

    @Test func typesThatIgnoreTheirObject_knowNoMembers() throws {
        struct Nothing: Decodable { init(from decoder: any Decoder) throws {} }
        #expect(try Self.errors(Nothing.self, "{}").isEmpty)
        #expect(try Self.errors(Nothing.self, #"{"a":1,"b":2}"#).map(\.field) == ["a", "b"])
    }

    @Test func unknownFieldReporting_canBeSwitchedOff() throws {
        var lenient = JSONValueDecoder()
        lenient.reportsUnknownFields = false
        #expect(try Self.errors(Address.self, #"{"line1":"x","country":"NL","zip":1}"#, decoder: lenient).isEmpty)
    }

    @Test func customTypes_seeNullInKeyedMembers() throws {
        enum Patch: Decodable, Equatable {
            case clear, set(String)
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                self = container.decodeNil() ? .clear : .set(try container.decode(String.self))
            }
        }
        struct Body: Decodable { var note: Patch?; var title: Patch }
        let body = try JSONValueDecoder().decode(Body.self, from: ["title": .null])
        #expect(body.title == .clear)
        #expect(body.note == nil)
    }

    @Test func acronymProperties_mapLikeFoundation() throws {
        struct Keys: Codable, Equatable {
            var userID: Int; var homepageURL: String; var address2Line: String; var line1: Int; var url: String
        }
        let value = Keys(userID: 1, homepageURL: "h", address2Line: "a", line1: 2, url: "u")
        let json = try JSONValueEncoder().encode(value)
        #expect(json.objectValue?.keys == ["user_id", "homepage_url", "address2_line", "line1", "url"])
        #expect(try JSONValueDecoder().decode(Keys.self, from: json) == value)
    }

    @Test func dynamicKeys_fromAllKeys_roundTrip() throws {
        struct Bag: Decodable {
            var values: [String: Int] = [:]
            struct AnyKey: CodingKey {
                var stringValue: String
                init?(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
                var intValue: Int? { nil }
            }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: AnyKey.self)
                for key in container.allKeys { values[key.stringValue] = try container.decode(Int.self, forKey: key) }
            }
        }
        let bag = try JSONValueDecoder().decode(
            Bag.self, from: ["first_name": 1, "_private": 2, "a__b": 3, "plain": 4])
        #expect(bag.values == ["firstName": 1, "_private": 2, "a__b": 3, "plain": 4])
    }

    @Test func membersDecodedTwice_countWhatEitherAttemptAsked() throws {
        struct Either: Decodable {
            var value: String
            struct Named: Decodable { var name: String }
            struct Coded: Decodable { var code: String }
            enum Keys: String, CodingKey { case target }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Keys.self)
                if let named = try? container.decode(Named.self, forKey: .target) {
                    value = named.name
                } else {
                    value = try container.decode(Coded.self, forKey: .target).code
                }
            }
        }
        #expect(try Self.errors(Either.self, #"{"target":{"code":"x"}}"#).isEmpty)
        #expect(
            try Self.errors(Either.self, #"{"target":{"code":"x","bogus":1}}"#) == [
                FieldError(field: "target.bogus", message: "is not a known field")
            ])
    }

    @Test func sharedObjectsInHandBuiltJSON_reportEachLocation() throws {
        struct Pair: Decodable { var first: Address; var second: Address }
        let address: JSONValue = ["line1": "x", "country": "NL", "zip": "1"]
        let errors = try #require(
            #expect(throws: JSONDecodingFailure.self) {
                try JSONValueDecoder().decode(Pair.self, from: ["first": address, "second": address])
            })
        #expect(errors.errors.map(\.field) == ["first.zip", "second.zip"])
    }

    @Test func foundationTypes_decodeStrictly() throws {
        struct Holder: Decodable { var site: URL; var amount: Decimal }
        let holder = try JSONValueDecoder().decode(
            Holder.self, from: ["site": "https://example.com/x", "amount": .number("12.340")])
        #expect(holder.site.host == "example.com")
        #expect(holder.amount == Decimal(string: "12.34"))
        #expect(
            try Self.errors(Holder.self, #"{"site":"","amount":1}"#) == [
                FieldError(field: "site", message: "must be a URL")
            ])
        #expect(
            try Self.errors(Holder.self, #"{"site":"https://x","amount":"1"}"#) == [
                FieldError(field: "amount", message: "must be a number")
            ])
    }

    @Test func decodingFailures_describeThemselves() {
        let failure = JSONDecodingFailure(errors: [
            FieldError(field: "a", message: "is required"), FieldError(field: "", message: "must be an object"),
        ])
        #expect(failure.description == "a is required; must be an object")
        #expect(!failure.isOnlyUnknownFields)
    }
}
