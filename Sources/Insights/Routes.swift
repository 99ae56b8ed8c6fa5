import Core
import FoundationEssentials
import Platform
import Routing

/// `/reports/margin`, `/reports/kpis`, `/reports/customer-rfm`.
public struct InsightsRoutes: ModuleRoutes {
    let service: InsightsService

    public init(service: InsightsService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // The KPI screen and customer analytics: every role that reads the business.
        permissions.declare("reports.read", roles: [.sales, .warehouse, .finance, .readonly])
        let service = self.service

        // Cost figures (the margin report, the KPIs' costs, the customer summary's
        // `lifetime_margin`) need `costs.read`, the permission every cost field answers to.
        router.get(
            "/reports/margin", access: .permission(SensitiveFields.costsPermission), query: ["group_by", "from", "to"]
        ) { request in
            let grouping = try request.query.oneOf("group_by", MarginGrouping.self) ?? .month
            return .json(
                try service.margin(by: grouping, period: try Self.period(request), viewer: try request.principal()))
        }
        router.get("/reports/kpis", access: .permission("reports.read"), query: ["from", "to"]) { request in
            let principal = try request.principal()
            return .json(
                try service.kpis(
                    period: try Self.period(request), today: LocalDate.today(),
                    showCosts: permissions.allows(principal.role, SensitiveFields.costsPermission), viewer: principal))
        }
        let filters = ["as_of", "window_days", "segment"]
        router.get(
            "/reports/customer-rfm", access: .permission("reports.read"),
            query: PageRequest.parameters.union(filters)
        ) { request in
            let window = try request.query.int("window_days") ?? 365
            guard (1...3650).contains(window) else {
                throw AppError.invalidParameter("window_days", "must be between 1 and 3650")
            }
            return try .json(
                service.rfm(
                    asOf: try request.query.date("as_of") ?? LocalDate.today(), windowDays: window,
                    segment: try request.query.oneOf("segment", RFMSegment.self),
                    page: try PageRequest(request, filters: filters), viewer: try request.principal()))
        }
    }

    /// `from` and `to`, inclusive; `to` defaults to today and `from` to 364 days before `to`
    /// (a year). `from` after `to` is a 400 naming `from`.
    static func period(_ request: Request) throws -> ReportPeriod {
        let to = try request.query.date("to") ?? LocalDate.today()
        let from = try request.query.date("from") ?? to.adding(days: -364)!
        guard from <= to else { throw AppError.invalidParameter("from", "must not be after 'to' (\(to))") }
        return ReportPeriod(from: from, to: to)
    }
}
