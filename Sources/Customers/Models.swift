import Core
import FoundationEssentials
import Platform

/// One customer of the shared master (API.md "Customer master"): the record a sales rep, a
/// warehouse clerk and an accountant all see.
public struct Customer: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public var name: String
    public var kind: Kind
    public var email: String?
    public var phone: String?
    public var taxId: String?
    public var website: String?
    public var billingAddress: Address?
    public var shippingAddress: Address?
    public var tier: CustomerTier
    /// In minor units of `currency`; nil means no limit.
    public var creditLimit: Int64?
    public var paymentTermsDays: Int
    public var currency: String
    public var tags: [String]
    public var ownerId: UUID?
    public var status: Status
    public var externalRef: String?
    /// The customer this one was merged into, once merged (it is then archived for good).
    public var mergedIntoId: UUID?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("name", name)
        try object.member("kind", kind)
        try object.member("email", email)
        try object.member("phone", phone)
        try object.member("tax_id", taxId)
        try object.member("website", website)
        try object.member("billing_address", billingAddress)
        try object.member("shipping_address", shippingAddress)
        try object.member("tier", tier)
        try object.member("credit_limit", creditLimit)
        try object.member("payment_terms_days", paymentTermsDays)
        try object.member("currency", currency)
        try object.member("tags", tags)
        try object.member("owner_id", ownerId)
        try object.member("status", status)
        try object.member("external_ref", externalRef)
        try object.member("merged_into_id", mergedIntoId)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Kind: String, Codable, Sendable, CaseIterable { case company, person }
    public enum Status: String, Codable, Sendable, CaseIterable { case active, blocked, archived }

    /// The fields a client may write (`POST` body, and what a `PATCH` merges into).
    static let writableFields: Set<String> = [
        "name", "kind", "email", "phone", "tax_id", "website", "billing_address", "shipping_address", "tier",
        "credit_limit", "payment_terms_days", "currency", "tags", "owner_id", "status", "external_ref",
    ]
    /// The credit terms, set only with `customers.credit` (admin, finance).
    static let creditFields: Set<String> = ["credit_limit", "payment_terms_days"]
    /// Fields the server maintains; sending one is a 422 `read_only_field`.
    static let readOnlyFields: Set<String> = ["id", "number", "merged_into_id", "created_at", "updated_at", "version"]
}

/// A postal address; `country` is ISO 3166-1 alpha-2.
public struct Address: Decodable, JSONMembers, Sendable, Equatable {
    public var line1: String?
    public var line2: String?
    public var city: String?
    public var region: String?
    public var postalCode: String?
    public var country: String?

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("line1", line1)
        try object.member("line2", line2)
        try object.member("city", city)
        try object.member("region", region)
        try object.member("postal_code", postalCode)
        try object.member("country", country)
    }

    public init(
        line1: String? = nil, line2: String? = nil, city: String? = nil, region: String? = nil,
        postalCode: String? = nil, country: String? = nil
    ) {
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.country = country
    }

    /// An address as the database keeps it (the JSON object this type encodes to), read
    /// member by member: lists decode two per row, and the general decoder cost as much as
    /// the rest of the row. Members that are absent or not strings read as nil.
    /// Its members' JSON names, in the order the API writes them.
    static let members = ["line1", "line2", "city", "region", "postal_code", "country"]

    public init(stored value: JSONValue) {
        let object = value.objectValue
        func text(_ key: String) -> String? { object?[key]?.stringValue }
        self.init(
            line1: text("line1"), line2: text("line2"), city: text("city"), region: text("region"),
            postalCode: text("postal_code"), country: text("country"))
    }

    /// What is wrong with it, each under `field.<member>` (warehouses' and suppliers' addresses
    /// are this object too).
    /// The JSON object the database keeps (every member, `null` when unset), as the API shows it.
    public var stored: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object(
            JSONObject([
                ("line1", text(line1)), ("line2", text(line2)), ("city", text(city)), ("region", text(region)),
                ("postal_code", text(postalCode)), ("country", text(country)),
            ]))
    }

    public func problems(at field: String) -> [FieldError] {
        var errors: [FieldError] = []
        for (name, value) in [
            ("line1", line1), ("line2", line2), ("city", city), ("region", region), ("postal_code", postalCode),
        ] {
            if let value, value.count > 200 {
                errors.append(FieldError(field: "\(field).\(name)", message: "must be at most 200 characters"))
            }
        }
        if let country, !Countries.isKnown(country) {
            errors.append(
                FieldError(field: "\(field).country", message: "must be an ISO 3166-1 alpha-2 code such as US or DE"))
        }
        return errors
    }
}

/// A customer's writable fields, as created or after a merge patch. Absent fields take the
/// documented defaults (`kind` company, `tier` standard, 30 days, the default currency).
public struct CustomerInput: Decodable, Sendable {
    public var name: String
    public var kind: Customer.Kind?
    public var email: String?
    public var phone: String?
    public var taxId: String?
    public var website: String?
    public var billingAddress: Address?
    public var shippingAddress: Address?
    public var tier: CustomerTier?
    public var creditLimit: Int64?
    public var paymentTermsDays: Int?
    public var currency: String?
    public var tags: [String]?
    public var ownerId: UUID?
    /// On create only: with no `owner_id`, the owner is the team's next member in turn.
    public var teamId: UUID?
    public var status: Customer.Status?
    public var externalRef: String?

    public init(
        name: String, kind: Customer.Kind? = nil, email: String? = nil, phone: String? = nil, currency: String? = nil,
        ownerId: UUID? = nil
    ) {
        self.name = name
        self.kind = kind
        self.email = email
        self.phone = phone
        self.currency = currency
        self.ownerId = ownerId
    }

    /// Whether the body sets a credit term (`credit_limit`, `payment_terms_days`), which only
    /// admin and finance may.
    public var setsCreditTerms: Bool { creditLimit != nil || paymentTermsDays != nil }

    /// Trims text fields and drops empty ones, so `""` and absent mean the same.
    public mutating func normalize() {
        name = name.trimmed()
        email = email.trimmedOrNil
        phone = phone.trimmedOrNil
        taxId = taxId.trimmedOrNil
        website = website.trimmedOrNil
        externalRef = externalRef.trimmedOrNil
        if let tags {
            var seen = Set<String>()
            self.tags = tags.map { $0.trimmedOfSpaces() }.filter {
                !$0.isEmpty && seen.insert($0).inserted
            }
        }
    }

    public func validate() throws {
        var errors: [FieldError] = []
        errors += PartyFields.problems(name: name, email: email, phone: phone)
        if let taxId, taxId.count > 50 {
            errors.append(FieldError(field: "tax_id", message: "must be at most 50 characters"))
        }
        if let website, website.count > 500 {
            errors.append(FieldError(field: "website", message: "must be at most 500 characters"))
        }
        if let externalRef, externalRef.count > 200 {
            errors.append(FieldError(field: "external_ref", message: "must be at most 200 characters"))
        }
        if let creditLimit, let message = MoneyRules.problem(creditLimit) {
            errors.append(FieldError(field: "credit_limit", message: message))
        }
        if let days = paymentTermsDays, !(0...3650).contains(days) {
            errors.append(FieldError(field: "payment_terms_days", message: "must be between 0 and 3650"))
        }
        if let currency, let message = Currency.problem(currency) {
            errors.append(FieldError(field: "currency", message: message))
        }
        if let tags {
            if tags.count > 50 { errors.append(FieldError(field: "tags", message: "must have at most 50 tags")) }
            for (index, tag) in tags.enumerated() where tag.count > 50 {
                errors.append(FieldError(field: "tags[\(index)]", message: "must be at most 50 characters"))
            }
        }
        errors += billingAddress?.problems(at: "billing_address") ?? []
        errors += shippingAddress?.problems(at: "shipping_address") ?? []
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// A person at a customer.
public struct Contact: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let customerId: UUID
    public var name: String
    public var email: String?
    public var phone: String?
    public var role: String?
    public var isPrimary: Bool
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("customer_id", customerId)
        try object.member("name", name)
        try object.member("email", email)
        try object.member("phone", phone)
        try object.member("role", role)
        try object.member("is_primary", isPrimary)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    static let writableFields: Set<String> = ["name", "email", "phone", "role", "is_primary"]
    static let readOnlyFields: Set<String> = ["id", "customer_id", "created_at", "updated_at", "version"]
}

/// A contact's writable fields.
struct ContactInput: Decodable {
    var name: String
    var email: String?
    var phone: String?
    var role: String?
    var isPrimary: Bool?

    mutating func normalize() {
        name = name.trimmed()
        email = email.trimmedOrNil
        phone = phone.trimmedOrNil
        role = role.trimmedOrNil
    }

    func validate() throws {
        var errors: [FieldError] = []
        errors += PartyFields.problems(name: name, email: email, phone: phone)
        if let role, role.count > 100 {
            errors.append(FieldError(field: "role", message: "must be at most 100 characters"))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// `POST /customers/{id}/merge`.
struct MergeRequest: Decodable {
    var duplicateId: UUID
}

/// A customer that already holds a unique value (API.md: `duplicate_customer` names them as
/// `candidates`).
public struct DuplicateCandidate: Encodable, Sendable {
    public let id: UUID
    public let number: String
    public let name: String
    public let email: String?
    /// `email`, `tax_id`, `external_ref` or `company`.
    public let matchedOn: String
    /// Outside the caller's data scope: shown as `id` and `number` only.
    public let hidden: Bool

    public init(id: UUID, number: String, name: String, email: String?, matchedOn: String, hidden: Bool = false) {
        self.id = id
        self.number = number
        self.name = name
        self.email = email
        self.matchedOn = matchedOn
        self.hidden = hidden
    }

    enum CodingKeys: String, CodingKey {
        case id, number, name, email, matchedOn
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(number, forKey: .number)
        guard !hidden else { return }
        try container.encode(name, forKey: .name)
        try container.encode(email, forKey: .email)
        try container.encode(matchedOn, forKey: .matchedOn)
    }
}

/// ISO 3166-1 alpha-2 codes in use.
enum Countries {
    static func isKnown(_ code: String) -> Bool { codes.contains(code) }

    private static let codes: Set<String> = Set(
        """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
        CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
        GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO \
        JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR \
        MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO \
        RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV \
        TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
        """.split(separator: " ").map(String.init))
}
