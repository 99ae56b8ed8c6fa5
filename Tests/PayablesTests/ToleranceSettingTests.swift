import App
import Core
import Testing

/// `CONCORD_BILL_PRICE_TOLERANCE_PERCENT`: a percent from 0 to 100 with at most 3 decimals,
/// 0 when unset or empty; anything else stops start-up naming the variable.
@Suite struct ToleranceSettingTests {
    @Test func theTolerance_isAPercent_andABadOneStopsStartUp() throws {
        #expect(try Configuration.load(environment: [:]).billPriceTolerancePercent == .zero)
        let set = try Configuration.load(environment: ["CONCORD_BILL_PRICE_TOLERANCE_PERCENT": "2.5"])
        #expect(set.billPriceTolerancePercent == (try ExactDecimal(parsing: "2.5")))
        #expect(set.printable.contains("CONCORD_BILL_PRICE_TOLERANCE_PERCENT=2.5"))
        for bad in ["abc", "101", "-1", "1.2345"] {
            #expect(throws: Configuration.Invalid.self, "\(bad)") {
                try Configuration.load(environment: ["CONCORD_BILL_PRICE_TOLERANCE_PERCENT": bad])
            }
        }
    }
}
