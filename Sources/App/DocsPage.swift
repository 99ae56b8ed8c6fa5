import Core
import FoundationEssentials
import HTTP
import Routing

/// `/docs`: Swagger UI rendering `/openapi.yaml`, served entirely by Concord so it works with no
/// internet. The viewer's files are a pinned copy in `Assets/swagger-ui/` (version and origin in
/// the README), read once at start from the resources directory; the page and its start-up
/// script are ours. A strict Content-Security-Policy allows nothing from elsewhere and no inline
/// script.
struct DocsPage {
    /// The viewer's files by URL path, nil when `Assets/swagger-ui/` is missing (the page then
    /// still links to the raw document).
    let assets: [String: Response]

    static let assetDirectory = "Assets/swagger-ui"
    static let files: [(name: String, contentType: String)] = [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("LICENSE", "text/plain; charset=utf-8"),
    ]

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    init(resources: URL? = Resources.directory()) {
        var assets: [String: Response] = [:]
        if let directory = resources?.appendingPathComponent(Self.assetDirectory) {
            for file in Self.files {
                guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file.name).path)
                else { continue }
                assets["/docs/swagger-ui/\(file.name)"] = Response(
                    status: 200,
                    headers: [
                        "Content-Type": file.contentType, "Cache-Control": "public, max-age=3600",
                        "X-Content-Type-Options": "nosniff",
                    ], body: Array(data))
            }
        }
        self.assets = assets
    }

    func register(in router: inout RouterBuilder) {
        let headers: HTTPHeaders = [
            "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": Self.contentSecurityPolicy,
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
        ]
        let page = Response(status: 200, headers: headers, body: Array(Self.html.utf8))
        router.get("/docs", access: .open, inline: true) { _ in page }
        let script = Response(
            status: 200,
            headers: [
                "Content-Type": "text/javascript; charset=utf-8", "X-Content-Type-Options": "nosniff",
            ], body: Array(Self.startScript.utf8))
        router.get("/docs/start.js", access: .open, inline: true) { _ in script }
        for file in Self.files {
            let path = "/docs/swagger-ui/\(file.name)"
            let asset = assets[path]
            router.get(path, access: .open, inline: true) { _ in
                guard let asset else {
                    throw AppError(.notFound, "\(Self.assetDirectory)/\(file.name) was not found beside the server")
                }
                return asset
            }
        }
    }

    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>Concord API</title>
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <link rel="stylesheet" href="/docs/swagger-ui/swagger-ui.css">
        </head>
        <body>
          <p>Concord API: <a href="/openapi.yaml">openapi.yaml</a> · viewer:
            <a href="/docs/swagger-ui/LICENSE">Swagger UI</a> (Apache 2.0)</p>
          <div id="ui"></div>
          <script src="/docs/swagger-ui/swagger-ui-bundle.js"></script>
          <script src="/docs/start.js"></script>
        </body>
        </html>

        """

    static let startScript = """
        window.addEventListener("load", function () {
          if (window.SwaggerUIBundle) {
            window.ui = SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#ui", deepLinking: true, validatorUrl: null });
          }
        });

        """
}
