import Core
import FoundationEssentials

/// Open balances by days past due, in the buckets every aging report uses (API.md:
/// `current`, `1_30`, `31_60`, `61_90`, `over_90`).
public struct AgingBuckets: Codable, Sendable, Equatable {
    public var current: Int64 = 0
    public var days1To30: Int64 = 0
    public var days31To60: Int64 = 0
    public var days61To90: Int64 = 0
    public var over90: Int64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case current
        case days1To30 = "1_30"
        case days31To60 = "31_60"
        case days61To90 = "61_90"
        case over90 = "over_90"
    }

    /// Adds `amount` to the bucket for `daysPastDue` (0 or less is current).
    public mutating func add(_ amount: Int64, daysPastDue: Int) {
        switch daysPastDue {
        case ...0: current += amount
        case 1...30: days1To30 += amount
        case 31...60: days31To60 += amount
        case 61...90: days61To90 += amount
        default: over90 += amount
        }
    }

    public var total: Int64 { current + days1To30 + days31To60 + days61To90 + over90 }

    /// An aging report: `{"as_of", "currency", <rows>: [{<party>, buckets…, "total"}], "totals"}`
    /// from open balances with their due dates, one row per party ordered by id.
    /// - rows, party: the report's names for the list and its id (`suppliers`, `supplier_id`).
    public static func report(
        _ balances: [(party: UUID, due: LocalDate, balance: Int64)], asOf: LocalDate, currency: String,
        rows: String, party: String
    ) throws -> JSONValue {
        var perParty: [UUID: AgingBuckets] = [:]
        var totals = AgingBuckets()
        for (id, due, balance) in balances {
            perParty[id, default: AgingBuckets()].add(balance, daysPastDue: due.days(until: asOf))
            totals.add(balance, daysPastDue: due.days(until: asOf))
        }
        func row(_ aging: AgingBuckets) throws -> JSONObject {
            guard case .object(var object) = try JSONValueEncoder().encode(aging) else { return JSONObject() }
            object.set("total", .number(String(aging.total)))
            return object
        }
        let list: [JSONValue] = try perParty.keys.sorted { $0.uuidString < $1.uuidString }.map { id in
            var object = JSONObject([(party, .string(id.uuidString.lowercased()))])
            for (key, value) in try row(perParty[id]!) { object.set(key, value) }
            return .object(object)
        }
        return .object(
            JSONObject([
                ("as_of", .string(asOf.description)), ("currency", .string(currency)), (rows, .array(list)),
                ("totals", .object(try row(totals))),
            ]))
    }
}
