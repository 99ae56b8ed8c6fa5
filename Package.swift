// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "concord",
    products: [
        .executable(name: "concord", targets: ["concord"])
    ],
    // Exact versions: Package.resolved is not kept in the repository, so these lines are what
    // makes two builds (a laptop's, the image's) use the same dependency code.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        // epoll, eventfd, signalfd and timerfd are not exported by Swift's Glibc module.
        .target(name: "CLinuxShims"),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // libssl, for https webhook deliveries.
        .systemLibrary(name: "CSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // Values, the JSON codec and the application error: what every layer shares, no I/O.
        .target(name: "Core", dependencies: ["CLinuxShims"]),
        .target(
            name: "HTTP",
            dependencies: ["CLinuxShims", "Core", .product(name: "Logging", package: "swift-log")]
        ),
        // Outbound HTTP/1.1 + TLS for webhook deliveries; the server does not link libssl.
        .target(name: "HTTPClient", dependencies: ["CSSL"]),
        .target(
            name: "Routing",
            dependencies: ["Core", "HTTP", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", "CCrypto", "CLinuxShims", "Core", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Platform",
            dependencies: [
                "CCrypto", "Core", "HTTP", "Routing", "Postgres", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Customers",
            dependencies: ["Core", "Routing", "Postgres", "Platform"]
        ),
        .target(
            name: "CRM",
            dependencies: ["Core", "Routing", "Postgres", "Platform", "Customers"]
        ),
        .target(
            name: "Catalog",
            dependencies: ["Core", "Platform", "Postgres", "Routing", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Inventory",
            dependencies: [
                "Core", "Catalog", "Customers", "Platform", "Postgres", "Routing",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Sales",
            dependencies: ["Core", "Routing", "Postgres", "Platform", "Customers", "Catalog", "Inventory"]
        ),
        .target(
            name: "Purchasing",
            dependencies: ["Core", "Routing", "Postgres", "Platform", "Customers", "Catalog", "Inventory"]
        ),
        .target(
            name: "Receivables",
            dependencies: ["Core", "Routing", "Postgres", "Platform", "Customers", "Sales"]
        ),
        .target(
            name: "Payables",
            dependencies: ["Core", "Routing", "Postgres", "Platform", "Purchasing"]
        ),
        // Approval rules and requests: documents are reached through functions App passes in.
        .target(
            name: "Approvals",
            dependencies: ["Core", "Routing", "Postgres", "Platform", "Catalog"]
        ),
        .target(
            name: "Service",
            dependencies: [
                "Core", "Routing", "Postgres", "Platform", "Customers", "Catalog", "Inventory", "Sales", "Receivables",
            ]
        ),
        .target(
            name: "Alerts",
            dependencies: [
                "Core", "Routing", "Postgres", "Platform", "Sales",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Webhooks",
            dependencies: [
                "Core", "HTTPClient", "HTTP", "Routing", "Postgres", "Platform",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The management reports: reads over every commercial table, no writes.
        .target(
            name: "Insights",
            dependencies: ["Core", "Routing", "Postgres", "Platform"]
        ),
        .target(
            name: "App",
            dependencies: [
                "Core", "HTTP", "Routing", "Postgres", "Platform", "Customers", "CRM", "Catalog", "Inventory", "Sales",
                "Purchasing", "Receivables", "Payables", "Approvals", "Service", "Webhooks", "Insights", "Alerts",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "concord",
            dependencies: [
                "App",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Shared by the test targets: a raw socket client, an API client, throwaway databases.
        .target(
            name: "TestSupport",
            dependencies: ["App", "Core", "HTTP", "HTTPClient", "CSSL", "Routing", "Postgres", "Platform"],
            path: "Tests/TestSupport"),
        .testTarget(name: "HTTPTests", dependencies: ["Core", "HTTP", "HTTPClient"]),
        .testTarget(name: "RoutingTests", dependencies: ["Core", "Routing", "HTTP"]),
        .testTarget(name: "ServerTests", dependencies: ["Core", "App", "HTTP", "Routing", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Core", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "PlatformTests",
            dependencies: ["Core", "App", "Platform", "Postgres", "Routing", "HTTP", "TestSupport"]),
        .testTarget(
            name: "CustomerTests",
            dependencies: ["Core", "App", "Customers", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "SalesTests",
            dependencies: ["Core", "App", "Sales", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "PurchasingTests",
            dependencies: ["Core", "App", "Purchasing", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "WebhookTests",
            dependencies: ["Core", "App", "Webhooks", "HTTP", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "ReceivablesTests",
            dependencies: ["Core", "App", "Receivables", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "PayablesTests",
            dependencies: ["Core", "App", "Payables", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "CRMTests",
            dependencies: ["Core", "App", "CRM", "Customers", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "InsightsTests",
            dependencies: ["Core", "App", "Insights", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "ApprovalTests",
            dependencies: ["Core", "App", "Approvals", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "AlertTests",
            dependencies: ["Core", "App", "Alerts", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "ServiceTests",
            dependencies: ["Core", "App", "Service", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(
            name: "InventoryTests",
            dependencies: ["Core", "App", "Catalog", "Inventory", "Platform", "Postgres", "Routing", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
