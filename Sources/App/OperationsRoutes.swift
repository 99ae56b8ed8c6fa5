import HTTP
import Core
import Routing

/// `/healthz`, `/livez`, `/readyz`, `/metrics`, `/openapi.yaml`, `/docs`, `/problems/{code}`: open to everyone, never
/// touching the database except `/readyz` and `/metrics` (its backlog figures), so the liveness
/// probes are answered on the I/O thread.
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
        // On a worker thread: the backlog figures take a database query.
        router.get("/metrics", access: .open) { _ in
            .text(metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
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
            return .json(.object(JSONObject([
                ("type", .string(code.typeURI)), ("code", .string(code.rawValue)), ("title", .string(code.title)),
                ("status", .number(String(code.status))),
            ])))
        }
        router.get("/docs", access: .open, inline: true) { _ in
            .text(Self.docsPage, contentType: "text/html; charset=utf-8")
        }
    }

    /// Swagger UI from its CDN renders `/openapi.yaml`; without network the page still links
    /// to the raw document.
    static let docsPage = """
    <!doctype html>
    <html lang="en">
    <head>
      <meta charset="utf-8">
      <title>Concord API</title>
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css">
    </head>
    <body>
      <noscript>The API description is at <a href="/openapi.yaml">/openapi.yaml</a>.</noscript>
      <p style="font-family:sans-serif;margin:1em">Concord API: <a href="/openapi.yaml">openapi.yaml</a></p>
      <div id="ui"></div>
      <script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
      <script>
        window.onload = function () {
          if (window.SwaggerUIBundle) { SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#ui" }); }
        };
      </script>
    </body>
    </html>
    """
}
