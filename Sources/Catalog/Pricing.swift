import Core
import FoundationEssentials
import Platform

/// Where a line's unit price came from (API.md "Catalog and inventory", in order of precedence).
public enum PriceSource: String, Codable, Sendable, CaseIterable {
    /// The caller gave the price (roles `admin` and `sales` only: the caller checks that).
    case explicit
    /// The item's fixed price for the customer's tier (`tier_prices`).
    case tierPrice = "tier_price"
    /// The item's list price less the tier's discount, rounded half-even to the minor unit.
    case tierDiscount = "tier_discount"
    /// The item's list price.
    case listPrice = "list_price"
}

/// A unit price for one item and customer tier.
public struct Price: Codable, Sendable, Equatable {
    public let itemId: UUID
    public let tier: CustomerTier
    /// Minor units of `currency`.
    public let unitPrice: Int64
    public let currency: String
    public let source: PriceSource
    /// The tier discount applied, when `source` is `tier_discount`.
    public let discountPercent: ExactDecimal?

    public init(
        itemId: UUID, tier: CustomerTier, unitPrice: Int64, currency: String, source: PriceSource,
        discountPercent: ExactDecimal?
    ) {
        self.itemId = itemId
        self.tier = tier
        self.unitPrice = unitPrice
        self.currency = currency
        self.source = source
        self.discountPercent = discountPercent
    }
}

/// The pricing rule, free of storage so it can be tested and reused as is.
public enum Pricing {
    /// The unit price of `item` for a customer of `tier`, in the item's currency:
    /// 1. `explicitUnitPrice` when given (whether the caller's role may set one is the
    ///    caller's check: API.md allows it to `admin` and `sales` only);
    /// 2. the item's `tier_prices[tier]`;
    /// 3. the list price less `tierDiscount` percent, rounded half-even to the minor unit
    ///    (skipped when the discount is 0);
    /// 4. the list price.
    public static func price(
        of item: Item, tier: CustomerTier, tierDiscount: ExactDecimal, explicitUnitPrice: Int64? = nil
    ) -> Price {
        if let explicitUnitPrice {
            return Price(
                itemId: item.id, tier: tier, unitPrice: explicitUnitPrice, currency: item.currency, source: .explicit,
                discountPercent: nil)
        }
        if let fixed = item.tierPrices[tier.rawValue] {
            return Price(
                itemId: item.id, tier: tier, unitPrice: fixed, currency: item.currency, source: .tierPrice,
                discountPercent: nil)
        }
        if !tierDiscount.isZero, let remaining = try? ExactDecimal(integer: 100) - tierDiscount {
            // The discounted price is what rounds (not the discount): 999 less 12.5% is 874.125 → 874.
            let discounted = ExactDecimal.percent(of: item.unitPrice, percent: remaining)
            return Price(
                itemId: item.id, tier: tier, unitPrice: discounted, currency: item.currency, source: .tierDiscount,
                discountPercent: tierDiscount)
        }
        return Price(
            itemId: item.id, tier: tier, unitPrice: item.unitPrice, currency: item.currency, source: .listPrice,
            discountPercent: nil)
    }
}
