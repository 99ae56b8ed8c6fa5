import Catalog
import Core
import Foundation
import Inventory
import Platform
import Routing
import TestSupport
import Testing

/// The price rule in memory, and `/pricing/tiers` plus `/items/{id}/price` over HTTP.
@Suite struct PricingRuleTests {
    func item(price: Int64, tierPrices: [String: Int64] = [:]) -> Item {
        Item(
            id: UUID(), sku: "X", name: "X", description: nil, type: .stock, unit: "each", unitPrice: price,
            currency: "USD",
            tierPrices: tierPrices, reorderPoint: nil, reorderQuantity: nil, preferredSupplierId: nil, active: true,
            averageCost: 0,
            externalRef: nil, createdAt: Date(), updatedAt: Date(), version: 1)
    }

    @Test func explicitPrice_beatsEverything() {
        let price = Pricing.price(
            of: item(price: 1000, tierPrices: ["gold": 900]), tier: .gold, tierDiscount: ExactDecimal(integer: 10),
            explicitUnitPrice: 777)
        #expect(price.unitPrice == 777)
        #expect(price.source == .explicit)
    }

    @Test func tierPrice_beatsTheTierDiscount() {
        let price = Pricing.price(
            of: item(price: 1000, tierPrices: ["gold": 900]), tier: .gold, tierDiscount: ExactDecimal(integer: 50))
        #expect(price.unitPrice == 900)
        #expect(price.source == .tierPrice)
    }

    @Test func tierDiscount_roundsTheDiscountedPriceHalfEven() throws {
        // 999 less 12.5% = 874.125 → 874; 1001 less 50% = 500.5 → 500; 1003 less 50% = 501.5 → 502.
        let twelveAndAHalf = try ExactDecimal(parsing: "12.5")
        #expect(Pricing.price(of: item(price: 999), tier: .silver, tierDiscount: twelveAndAHalf).unitPrice == 874)
        #expect(
            Pricing.price(of: item(price: 1001), tier: .silver, tierDiscount: ExactDecimal(integer: 50)).unitPrice
                == 500)
        let odd = Pricing.price(
            of: item(price: 1003, tierPrices: ["gold": 1]), tier: .silver, tierDiscount: ExactDecimal(integer: 50))
        #expect(odd.unitPrice == 502)
        #expect(odd.source == .tierDiscount)
        #expect(odd.discountPercent == ExactDecimal(integer: 50))
    }

    @Test func noDiscount_isTheListPrice() {
        let price = Pricing.price(
            of: item(price: 1000, tierPrices: ["gold": 900]), tier: .standard, tierDiscount: .zero)
        #expect(price.unitPrice == 1000)
        #expect(price.source == .listPrice)
    }

    @Test func movingAverage_isExactAndHalfEven() {
        #expect(InventoryMath.average(old: "0", cost: 0, adding: "10", at: 500) == 500)
        #expect(InventoryMath.average(old: "10", cost: 500, adding: "30", at: 700) == 650)
        // (1 × 1 + 1 × 2) / 2 = 1.5 → 2; (1 × 3 + 1 × 2) / 2 = 2.5 → 2.
        #expect(InventoryMath.average(old: "1", cost: 1, adding: "1", at: 2) == 2)
        #expect(InventoryMath.average(old: "1", cost: 3, adding: "1", at: 2) == 2)
        #expect(InventoryMath.average(old: "0.001", cost: 100, adding: "0.002", at: 101) == 101)  // 100.67 → 101
    }
}

@Suite struct PricingTierTests {
    let app: TestApp
    let admin: APIClient
    let fixture: StockFixture

    init() throws {
        app = try TestApp()
        admin = app.client()
        fixture = StockFixture(app)
    }

    @Test func tiers_listEveryTier_andPutSetsTheDiscount() throws {
        let list = try admin.get("/pricing/tiers")
        #expect(list.status == 200)
        let tiers = list["data"]?.arrayValue?.compactMap { $0.objectValue?["tier"]?.stringValue }
        #expect(tiers == ["standard", "silver", "gold", "platinum"])
        #expect(list["data"]?.arrayValue?.first?.objectValue?["discount_percent"] == .number("0"))

        let put = try admin.send(
            "PUT", "/pricing/tiers/gold", body: #"{"discount_percent":12.5}"#, headers: [("If-Match", "\"1\"")])
        #expect(put.status == 200)
        #expect(put["discount_percent"] == .number("12.5"))
        #expect(put.header("ETag") == "\"2\"")
        let stale = try admin.send(
            "PUT", "/pricing/tiers/gold", body: #"{"discount_percent":5}"#, headers: [("If-Match", "\"1\"")])
        #expect(stale.status == 412)
        #expect(try admin.get("/pricing/tiers/gold")["discount_percent"] == .number("12.5"))
        #expect(try eventually { try admin.get("/events?types=pricing_tier.updated")["data"]?.arrayValue?.count == 1 })
    }

    @Test func tierDiscount_outOfRangeOrTooPrecise_is422_andUnknownTierIs404() throws {
        #expect(try admin.send("PUT", "/pricing/tiers/gold", body: #"{"discount_percent":101}"#).status == 422)
        #expect(try admin.send("PUT", "/pricing/tiers/gold", body: #"{"discount_percent":-1}"#).status == 422)
        #expect(try admin.send("PUT", "/pricing/tiers/gold", body: #"{"discount_percent":1.2345}"#).status == 422)
        #expect(try admin.send("PUT", "/pricing/tiers/diamond", body: #"{"discount_percent":1}"#).status == 404)
        #expect(
            try admin.send("PUT", "/pricing/tiers/gold", body: #"{"tier":"gold","discount_percent":1}"#).code
                == "read_only_field")
    }

    @Test func onlyAdminSetsDiscounts_everyOtherRoleReads() throws {
        for role in ["sales", "warehouse", "finance", "readonly"] {
            let client = try fixture.client(role: role)
            #expect(try client.get("/pricing/tiers").status == 200)
            #expect(try client.send("PUT", "/pricing/tiers/gold", body: #"{"discount_percent":1}"#).status == 403)
        }
    }

    @Test func itemPrice_followsThePrecedence() throws {
        _ = try admin.send("PUT", "/pricing/tiers/silver", body: #"{"discount_percent":12.5}"#)
        _ = try admin.send("PUT", "/pricing/tiers/gold", body: #"{"discount_percent":20}"#)
        let id = try fixture.item("PR-1", price: 999, extra: #","tier_prices":{"gold":850}"#)
        let gold = try admin.get("/items/\(id)/price?tier=gold")
        #expect(gold["unit_price"] == .number("850"))
        #expect(gold["source"] == .string("tier_price"))
        let silver = try admin.get("/items/\(id)/price?tier=silver")
        #expect(silver["unit_price"] == .number("874"))
        #expect(silver["source"] == .string("tier_discount"))
        let standard = try admin.get("/items/\(id)/price?tier=standard")
        #expect(standard["unit_price"] == .number("999"))
        #expect(standard["source"] == .string("list_price"))
        #expect(try admin.get("/items/\(id)/price").status == 400)
        #expect(try admin.get("/items/\(UUID().uuidString)/price?tier=gold").status == 404)

        // The same through the Swift API Sales will call.
        let catalog = try #require(app.server.catalog)
        let pool = try #require(app.server.pool)
        let price = try pool.transaction { tx in try catalog.price(itemID: UUID(uuidString: id)!, tier: .silver, in: tx)
        }
        #expect(price.unitPrice == 874)
        let explicit = try pool.transaction { tx in
            try catalog.price(itemID: UUID(uuidString: id)!, tier: .gold, explicitUnitPrice: 1, in: tx)
        }
        #expect(explicit.source == .explicit)
    }
}

/// Moving average through the public helper, with quantities written as text.
enum InventoryMath {
    static func average(old: String, cost: Int64, adding: String, at newCost: Int64) -> Int64 {
        InventoryService.movingAverage(
            quantity: try! ExactDecimal(parsing: old), cost: cost, adding: try! ExactDecimal(parsing: adding),
            at: newCost)
    }
}
