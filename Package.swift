// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "concord",
    products: [
        .executable(name: "concord", targets: ["concord"]),
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
        .target(
            name: "HTTP",
            dependencies: ["CLinuxShims", "CSSL", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Routing",
            dependencies: ["HTTP", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", "CCrypto", "CLinuxShims", "Routing", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Platform",
            dependencies: ["CCrypto", "HTTP", "Routing", "Postgres", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Customers",
            dependencies: ["Routing", "Postgres", "Platform"]
        ),
        .target(
            name: "CRM",
            dependencies: ["Routing", "Postgres", "Platform", "Customers"]
        ),
        .target(
            name: "Catalog",
            dependencies: ["Platform", "Postgres", "Routing", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Inventory",
            dependencies: ["Catalog", "Platform", "Postgres", "Routing", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Sales",
            dependencies: ["Routing", "Postgres", "Platform", "Customers", "Catalog", "Inventory"]
        ),
        .target(
            name: "Purchasing",
            dependencies: ["Routing", "Postgres", "Platform", "Catalog", "Inventory"]
        ),
        .target(
            name: "Receivables",
            dependencies: ["Routing", "Postgres", "Platform", "Customers", "Sales"]
        ),
        .target(
            name: "Webhooks",
            dependencies: ["HTTP", "Routing", "Postgres", "Platform", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "App",
            dependencies: ["HTTP", "Routing", "Postgres", "Platform", "Customers", "CRM", "Catalog", "Inventory", "Sales", "Purchasing", "Receivables", "Webhooks", .product(name: "Logging", package: "swift-log")]
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
        .target(name: "TestSupport", dependencies: ["App", "HTTP", "CSSL", "Routing", "Postgres", "Platform"], path: "Tests/TestSupport"),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "HTTP"]),
        .testTarget(name: "ServerTests", dependencies: ["App", "HTTP", "Routing", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "Routing", "TestSupport"]),
        .testTarget(name: "PlatformTests", dependencies: ["App", "Platform", "Postgres", "Routing", "HTTP", "TestSupport"]),
        .testTarget(name: "CustomerTests", dependencies: ["App", "Customers", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(name: "SalesTests", dependencies: ["App", "Sales", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(name: "PurchasingTests", dependencies: ["App", "Purchasing", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(name: "WebhookTests", dependencies: ["App", "Webhooks", "HTTP", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(name: "ReceivablesTests", dependencies: ["App", "Receivables", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(name: "CRMTests", dependencies: ["App", "CRM", "Customers", "Platform", "Postgres", "Routing", "TestSupport"]),
        .testTarget(name: "InventoryTests", dependencies: ["App", "Catalog", "Inventory", "Platform", "Postgres", "Routing", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
