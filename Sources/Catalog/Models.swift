import Core
import FoundationEssentials
import Platform

/// Whether an item is kept in stock. Services (installation, support hours) have no stock:
/// Inventory refuses to adjust, transfer or reserve them.
public enum ItemType: String, Codable, Sendable, CaseIterable {
    case stock, service
}

/// Something the company sells or buys (API.md "Catalog and inventory": `/items`).
public struct Item: Decodable, JSONMembers, Sendable, Equatable {
    public let id: UUID
    public var sku: String
    public var name: String
    public var description: String?
    public var type: ItemType
    public var unit: String
    /// List price in minor units of `currency`.
    public var unitPrice: Int64
    public var currency: String
    /// A fixed price per customer tier (`{"gold": 900}`), in minor units of `currency`; keys
    /// are `CustomerTier` raw values.
    public var tierPrices: [String: Int64]
    public var reorderPoint: ExactDecimal?
    public var reorderQuantity: ExactDecimal?
    /// A supplier id (Purchasing); one that names no supplier is a 422.
    public var preferredSupplierId: UUID?
    public var active: Bool
    /// Moving average cost per unit in minor units of the installation's default currency;
    /// read-only, maintained by Inventory on receipts.
    @Cost public var averageCost: Int64
    /// A fixed cost per unit in minor units of the default currency: what a service item's
    /// shipment costs (zero when unset). Stock items ship at `averageCost` regardless.
    @Cost public var standardCost: Int64?
    public var externalRef: String?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("sku", sku)
        try object.member("name", name)
        try object.member("description", description)
        try object.member("type", type)
        try object.member("unit", unit)
        try object.member("unit_price", unitPrice)
        try object.member("currency", currency)
        try object.member("tier_prices", tierPrices)
        try object.member("reorder_point", reorderPoint)
        try object.member("reorder_quantity", reorderQuantity)
        try object.member("preferred_supplier_id", preferredSupplierId)
        try object.member("active", active)
        try object.member("average_cost", _averageCost)
        try object.member("standard_cost", _standardCost)
        try object.member("external_ref", externalRef)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    /// True for goods kept in stock.
    public var isStocked: Bool { type == .stock }

    /// Every field as given, unchecked (`POST /items` validates; this is for tests and callers
    /// that build an `Item` to price it).
    public init(
        id: UUID, sku: String, name: String, description: String?, type: ItemType, unit: String, unitPrice: Int64,
        currency: String, tierPrices: [String: Int64], reorderPoint: ExactDecimal?, reorderQuantity: ExactDecimal?,
        preferredSupplierId: UUID?, active: Bool, averageCost: Int64, externalRef: String?, createdAt: Date,
        updatedAt: Date,
        version: Int, standardCost: Int64? = nil
    ) {
        self.id = id
        self.sku = sku
        self.name = name
        self.description = description
        self.type = type
        self.unit = unit
        self.unitPrice = unitPrice
        self.currency = currency
        self.tierPrices = tierPrices
        self.reorderPoint = reorderPoint
        self.reorderQuantity = reorderQuantity
        self.preferredSupplierId = preferredSupplierId
        self.active = active
        self.averageCost = averageCost
        self.standardCost = standardCost
        self.externalRef = externalRef
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// `POST /items`.
struct ItemCreate: Decodable {
    var sku: String
    var name: String
    var description: String?
    var type: ItemType
    var unit: String?
    var unitPrice: Int64
    var currency: String?
    var tierPrices: JSONValue?
    var reorderPoint: ExactDecimal?
    var reorderQuantity: ExactDecimal?
    var preferredSupplierId: UUID?
    var active: Bool?
    var standardCost: Int64?
    var externalRef: String?

    static let readOnly: Set<String> = ["id", "average_cost", "created_at", "updated_at", "version"]
}

/// `PATCH /items/{id}`: an RFC 7396 merge patch of the writable fields. `null` clears an
/// optional field and is a 422 on a required one; inside `tier_prices`, `null` removes a tier.
struct ItemPatch: Decodable {
    var sku: FieldPatch<String> = .absent
    var name: FieldPatch<String> = .absent
    var description: FieldPatch<String> = .absent
    var type: FieldPatch<ItemType> = .absent
    var unit: FieldPatch<String> = .absent
    var unitPrice: FieldPatch<Int64> = .absent
    var currency: FieldPatch<String> = .absent
    var tierPrices: FieldPatch<JSONValue> = .absent
    var reorderPoint: FieldPatch<ExactDecimal> = .absent
    var reorderQuantity: FieldPatch<ExactDecimal> = .absent
    var preferredSupplierId: FieldPatch<UUID> = .absent
    var active: FieldPatch<Bool> = .absent
    var standardCost: FieldPatch<Int64> = .absent
    var externalRef: FieldPatch<String> = .absent

    static let readOnly: Set<String> = ItemCreate.readOnly

    enum CodingKeys: String, CodingKey {
        case sku, name, description, type, unit, currency, active
        case unitPrice = "unit_price", tierPrices = "tier_prices", reorderPoint = "reorder_point"
        case reorderQuantity = "reorder_quantity", preferredSupplierId = "preferred_supplier_id", externalRef =
            "external_ref", standardCost = "standard_cost"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sku = try c.patch(String.self, forKey: .sku)
        name = try c.patch(String.self, forKey: .name)
        description = try c.patch(String.self, forKey: .description)
        type = try c.patch(ItemType.self, forKey: .type)
        unit = try c.patch(String.self, forKey: .unit)
        unitPrice = try c.patch(Int64.self, forKey: .unitPrice)
        currency = try c.patch(String.self, forKey: .currency)
        tierPrices = try c.patch(JSONValue.self, forKey: .tierPrices)
        reorderPoint = try c.patch(ExactDecimal.self, forKey: .reorderPoint)
        reorderQuantity = try c.patch(ExactDecimal.self, forKey: .reorderQuantity)
        preferredSupplierId = try c.patch(UUID.self, forKey: .preferredSupplierId)
        active = try c.patch(Bool.self, forKey: .active)
        standardCost = try c.patch(Int64.self, forKey: .standardCost)
        externalRef = try c.patch(String.self, forKey: .externalRef)
    }

    /// The item with the patch applied, or every field error.
    func applied(to item: Item) throws -> Item {
        var errors: [FieldError] = []
        var result = item
        func required<T>(_ patch: FieldPatch<T>, _ field: String, _ apply: (T) -> Void) {
            switch patch {
            case .absent: break
            case .null: errors.append(FieldError(field: field, message: "must not be null"))
            case .value(let value): apply(value)
            }
        }
        required(sku, "sku") { result.sku = $0 }
        required(name, "name") { result.name = $0 }
        required(type, "type") { result.type = $0 }
        required(unit, "unit") { result.unit = $0 }
        required(unitPrice, "unit_price") { result.unitPrice = $0 }
        required(currency, "currency") { result.currency = $0 }
        required(active, "active") { result.active = $0 }
        description.apply(to: &result.description)
        reorderPoint.apply(to: &result.reorderPoint)
        reorderQuantity.apply(to: &result.reorderQuantity)
        preferredSupplierId.apply(to: &result.preferredSupplierId)
        externalRef.apply(to: &result.externalRef)
        standardCost.apply(to: &result.standardCost)
        switch tierPrices {
        case .absent: break
        case .null: result.tierPrices = [:]
        case .value(let value):
            // RFC 7396 on the nested object: members replace, null removes.
            if let changes = ItemRules.tierPriceChanges(value, errors: &errors) {
                for (tier, price) in changes { result.tierPrices[tier] = price }
            }
        }
        errors += ItemRules.problems(result)
        if !errors.isEmpty { throw AppError.validation(errors) }
        return result
    }
}

/// Field rules shared by create and patch.
enum ItemRules {
    static func problems(_ item: Item) -> [FieldError] {
        var errors: [FieldError] = []
        func text(_ value: String?, _ field: String, max: Int, required: Bool) {
            guard let value else { return }
            if required && value.trimmed().isEmpty {
                errors.append(FieldError(field: field, message: "must not be empty"))
            } else if !required && value.isEmpty {
                errors.append(FieldError(field: field, message: "must not be empty (send null to clear it)"))
            } else if value.count > max {
                errors.append(FieldError(field: field, message: "must be at most \(max) characters"))
            }
        }
        text(item.sku, "sku", max: 64, required: true)
        if item.sku.contains(where: { $0.isWhitespace || $0.isNewline }) {
            errors.append(FieldError(field: "sku", message: "must not contain spaces"))
        }
        text(item.name, "name", max: 200, required: true)
        text(item.description, "description", max: 4000, required: false)
        text(item.unit, "unit", max: 20, required: true)
        text(item.externalRef, "external_ref", max: 200, required: false)
        if let message = MoneyRules.problem(item.unitPrice) {
            errors.append(FieldError(field: "unit_price", message: message))
        }
        if let cost = item.standardCost, let message = MoneyRules.problem(cost) {
            errors.append(FieldError(field: "standard_cost", message: message))
        }
        if let message = Currency.problem(item.currency) {
            errors.append(FieldError(field: "currency", message: message))
        }
        for (tier, price) in item.tierPrices.sorted(by: { $0.key < $1.key }) {
            if let message = MoneyRules.problem(price) {
                errors.append(FieldError(field: "tier_prices.\(tier)", message: message))
            }
        }
        if let point = item.reorderPoint, point.isNegative {
            errors.append(FieldError(field: "reorder_point", message: "must not be negative"))
        }
        if let quantity = item.reorderQuantity, quantity.isNegative {
            errors.append(FieldError(field: "reorder_quantity", message: "must not be negative"))
        }
        return errors
    }

    /// Reads a `tier_prices` object: tier → price, or nil (a removal) for `null` members.
    static func tierPriceChanges(_ value: JSONValue, errors: inout [FieldError]) -> [(String, Int64?)]? {
        guard let object = value.objectValue else {
            errors.append(
                FieldError(field: "tier_prices", message: "must be an object of tier to price, e.g. {\"gold\": 900}"))
            return nil
        }
        var changes: [(String, Int64?)] = []
        let tiers = CustomerTier.allCases.map(\.rawValue).joined(separator: ", ")
        for (tier, price) in object {
            guard CustomerTier(rawValue: tier) != nil else {
                errors.append(FieldError(field: "tier_prices.\(tier)", message: "is not a tier (one of: \(tiers))"))
                continue
            }
            if price.isNull {
                changes.append((tier, nil))
            } else if let amount = price.int64Value {
                changes.append((tier, amount))
            } else {
                errors.append(
                    FieldError(field: "tier_prices.\(tier)", message: "must be an integer amount in minor units"))
            }
        }
        return changes
    }
}

/// One member of a merge patch: absent (leave it), `null` (clear it) or a value.
package enum FieldPatch<T: Sendable>: Sendable {
    case absent
    case null
    case value(T)

    /// Applies the patch to an optional field.
    package func apply(to field: inout T?) {
        switch self {
        case .absent: break
        case .null: field = nil
        case .value(let value): field = value
        }
    }
}

extension KeyedDecodingContainer {
    /// Reads `key` as a merge-patch member, telling an absent member from an explicit `null`.
    package func patch<T: Decodable & Sendable>(_ type: T.Type, forKey key: Key) throws -> FieldPatch<T> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(T.self, forKey: key))
    }
}

/// The discount a customer tier gets off list prices (`GET /pricing/tiers`).
public struct PricingTier: Codable, Sendable, Equatable {
    public let tier: CustomerTier
    public var discountPercent: ExactDecimal
    public var updatedAt: Date
    public var version: Int
}

/// `PUT /pricing/tiers/{tier}`.
struct PricingTierUpdate: Decodable {
    var discountPercent: ExactDecimal

    static let readOnly: Set<String> = ["tier", "updated_at", "version"]

    func validate() throws {
        if discountPercent.isNegative || discountPercent > ExactDecimal(integer: 100) {
            throw AppError.validation([FieldError(field: "discount_percent", message: "must be between 0 and 100")])
        }
    }
}

/// `{"data": [...]}` of the four tiers.
struct PricingTierList: Encodable {
    let data: [PricingTier]
}
