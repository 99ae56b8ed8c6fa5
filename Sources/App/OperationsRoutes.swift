import Core
import HTTP
import Routing

/// `/healthz`, `/livez`, `/readyz`, `/metrics`, `/openapi.yaml`, `/docs` (and its files), `/problems/{code}`: open to everyone, never
/// touching the database except `/readyz`, so the liveness probes and `/metrics` are answered on
/// the I/O thread.
struct OperationsRoutes {
    let metrics: Metrics
    let openAPI: [UInt8]?
    /// Whether the instance should receive traffic (database reachable, migrations current,
    /// not shutting down); nil means ready.
    let readiness: @Sendable () -> String?
    /// Every code the application answers with, served under `/problems/{code}`.
    let problems: ProblemRegistry

    func register(in router: inout RouterBuilder) {
        let ok: [UInt8] = Array(#"{"status":"ok"}"#.utf8)
        router.get("/healthz", access: .open, inline: true) { _ in
            Response(status: 200, headers: ["Content-Type": "application/json"], body: ok)
        }
        router.get("/livez", access: .open, inline: true) { _ in
            Response(status: 200, headers: ["Content-Type": "application/json"], body: ok)
        }
        let readiness = self.readiness
        router.get("/readyz", access: .open) { _ in
            if let reason = readiness() {
                throw AppError(.serviceUnavailable, reason, headers: [("Retry-After", "1")])
            }
            return Response(status: 200, headers: ["Content-Type": "application/json"], body: ok)
        }
        let metrics = self.metrics
        let buildInfo = Self.buildInfo
        // On the I/O thread, so a scrape is answered while every worker is busy: the backlog
        // figures it shows were read from the database in the background.
        router.get("/metrics", access: .open, inline: true) { _ in
            .text(metrics.render() + buildInfo, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        let openAPI = self.openAPI
        router.get("/openapi.yaml", access: .open, inline: true) { _ in
            guard let openAPI else { throw AppError(.notFound, "openapi.yaml was not found beside the server") }
            return Response(status: 200, headers: ["Content-Type": "application/yaml"], body: openAPI)
        }
        // A problem's `type` (`/problems/insufficient-stock`) describes its code.
        let problems = self.problems
        router.get("/problems/{slug}", access: .open, inline: true) { request in
            guard let code = problems.code(slug: request.parameter("slug")) else {
                throw AppError(.notFound, "no problem type '\(request.parameter("slug"))'")
            }
            return .json(
                .object(
                    JSONObject([
                        ("type", .string(code.typeURI)), ("code", .string(code.rawValue)),
                        ("title", .string(code.title)),
                        ("status", .number(String(code.status))),
                    ])))
        }
        DocsPage().register(in: &router)
    }

    /// The build's version and commit as a constant-1 gauge (the Prometheus "info" idiom).
    static let buildInfo: String = {
        func label(_ text: String) -> String {
            text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
                .replacingAll("\n", with: "\\n")
        }
        return "# HELP concord_build_info The running build: its version and the commit it was built from.\n"
            + "# TYPE concord_build_info gauge\n"
            + "concord_build_info{version=\"\(label(Build.version))\",commit=\"\(label(Build.commit))\"} 1\n"
    }()
}
