import Alerts
import CRM
import Core
import Customers
import FoundationEssentials
import Insights
import Platform
import Receivables
import Routing
import Sales
import Service

/// `GET /customers/{id}/summary`: the 360° view, the one place that reads every module
/// (DESIGN.md). Figures are in the customer's currency; documents in other currencies are
/// counted in `other_currency_documents` and left out of the sums.
struct CustomerSummaryRoutes {
    let customers: CustomerService
    let crm: CRMService
    let sales: SalesService
    let receivables: ReceivablesService
    let insights: InsightsService
    let alerts: AlertService
    let service: AfterSalesService

    func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        let customers = self.customers, crm = self.crm, sales = self.sales, receivables = self.receivables
        let insights = self.insights
        let alerts = self.alerts, service = self.service
        router.get("/customers/{id}/summary", access: .permission("customers.read")) { request in
            let customer = try customers.customer(try request.documentKey("id", prefix: "CUST", resource: "customer"))
            let pipeline = try crm.openPipeline(customerID: customer.id, currency: customer.currency)
            let activities = try crm.recentActivities(customerID: customer.id)
            let orders = try sales.customerOrders(customerID: customer.id, currency: customer.currency)
            let position = try receivables.position(customerID: customer.id, currency: customer.currency)
            // The credit check's figures: what is owed on invoices (less unapplied credit) plus
            // confirmed orders not yet invoiced.
            let credit = try sales.creditPosition(customer)
            let principal = try request.principal()
            let insight = try insights.customerInsight(
                customerID: customer.id, customerCurrency: customer.currency,
                showCosts: permissions.allows(principal.role, SensitiveFields.costsPermission), viewer: principal)
            let summary = CustomerSummary(
                customer: customer, currency: customer.currency,
                opportunities: .init(
                    openCount: pipeline.openCount, openAmount: pipeline.openAmount,
                    weightedAmount: pipeline.weightedAmount),
                orders: .init(
                    openCount: orders.openCount, lastOrderDate: orders.lastOrderDate,
                    lifetimeTotal: orders.lifetimeTotal),
                receivables: .init(
                    openBalance: position.openBalance, overdueBalance: position.overdueBalance,
                    unappliedCredit: position.unappliedCredit, aging: position.aging),
                credit: .init(limit: credit.limit, used: credit.used, available: credit.available),
                recentActivities: activities, rfm: insight.rfm, lifetimeMargin: insight.lifetimeMargin,
                openAlerts: try alerts.liveAlerts(customerID: customer.id),
                cases: try service.figures(customerID: customer.id),
                otherCurrencyDocuments: pipeline.otherCurrency + orders.otherCurrency + position.otherCurrencyDocuments)
            return try .json(summary)
        }
    }
}

struct CustomerSummary: Encodable {
    let customer: Customer
    let currency: String
    let opportunities: Opportunities
    let orders: Orders
    let receivables: ReceivablesPart
    let credit: Credit
    let recentActivities: [Activity]
    /// The customer's row of `/reports/customer-rfm` today (365 days); nil without orders.
    let rfm: CustomerRFM?
    /// Σ shipped revenue − cost, ever; nil without the cost permission or in another currency.
    let lifetimeMargin: Int64?
    /// Open and acknowledged alerts about the customer or its documents, oldest first.
    let openAlerts: [Alert]
    /// Open cases, open ones past an SLA deadline, and the mean satisfaction rating.
    let cases: CaseFigures
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

    struct ReceivablesPart: Encodable {
        let openBalance: Int64
        let overdueBalance: Int64
        let unappliedCredit: Int64
        let aging: Aging
    }

    /// `used` is open receivables plus confirmed-but-uninvoiced orders, the credit check's figure.
    struct Credit: Encodable {
        let limit: Int64?
        let used: Int64
        let available: Int64?
    }
}
