import CRM
import Customers
import Foundation
import Platform
import Routing
import Sales

/// `GET /customers/{id}/summary`: the 360° view, the one place that reads every module
/// (DESIGN.md). Figures are in the customer's currency; documents in other currencies are
/// counted in `other_currency_documents` and left out of the sums.
struct CustomerSummaryRoutes {
    let customers: CustomerService
    let crm: CRMService
    let sales: SalesService

    func register(in router: inout RouterBuilder) {
        let customers = self.customers, crm = self.crm, sales = self.sales
        router.get("/customers/{id}/summary", access: .permission("customers.read")) { request in
            let customer = try customers.customer(try request.documentKey("id", prefix: "CUST", resource: "customer"))
            let pipeline = try crm.openPipeline(customerID: customer.id, currency: customer.currency)
            let activities = try crm.recentActivities(customerID: customer.id)
            let orders = try sales.customerOrders(customerID: customer.id, currency: customer.currency)
            // Receivables arrive with their module; until then only orders are owed.
            let used = try sales.uninvoicedOrders(customerID: customer.id, currency: customer.currency)
            let summary = CustomerSummary(
                customer: customer, currency: customer.currency,
                opportunities: .init(openCount: pipeline.openCount, openAmount: pipeline.openAmount, weightedAmount: pipeline.weightedAmount),
                orders: .init(openCount: orders.openCount, lastOrderDate: orders.lastOrderDate, lifetimeTotal: orders.lifetimeTotal),
                receivables: .init(openBalance: 0, overdueBalance: 0, unappliedCredit: 0, aging: .zero),
                credit: .init(limit: customer.creditLimit, used: used, available: customer.creditLimit.map { $0 - used }),
                recentActivities: activities, otherCurrencyDocuments: pipeline.otherCurrency + orders.otherCurrency)
            return try .json(summary)
        }
    }
}

struct CustomerSummary: Encodable {
    let customer: Customer
    let currency: String
    let opportunities: Opportunities
    let orders: Orders
    let receivables: Receivables
    let credit: Credit
    let recentActivities: [Activity]
    let otherCurrencyDocuments: Int64

    struct Opportunities: Encodable {
        let openCount: Int64
        let openAmount: Int64
        let weightedAmount: Int64
    }

    struct Orders: Encodable {
        let openCount: Int64
        let lastOrderDate: LocalDate?
        let lifetimeTotal: Int64
    }

    struct Receivables: Encodable {
        let openBalance: Int64
        let overdueBalance: Int64
        let unappliedCredit: Int64
        let aging: Aging
    }

    /// Open balances by days past due; the bucket names are API.md's (`1_30`, …).
    struct Aging: Encodable {
        let current: Int64
        let days1To30: Int64
        let days31To60: Int64
        let days61To90: Int64
        let over90: Int64

        static let zero = Aging(current: 0, days1To30: 0, days31To60: 0, days61To90: 0, over90: 0)

        enum CodingKeys: String, CodingKey {
            case current
            case days1To30 = "1_30"
            case days31To60 = "31_60"
            case days61To90 = "61_90"
            case over90 = "over_90"
        }
    }

    /// `used` is open receivables plus confirmed-but-uninvoiced orders, the credit check's figure.
    struct Credit: Encodable {
        let limit: Int64?
        let used: Int64
        let available: Int64?
    }
}
