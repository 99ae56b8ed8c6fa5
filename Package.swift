// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "concord",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "concord", targets: ["concord"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // epoll, eventfd, signalfd and timerfd are not exported by Swift's Glibc module.
        .target(name: "CLinuxShims"),
        .target(
            name: "HTTP",
            dependencies: ["CLinuxShims", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Routing",
            dependencies: ["HTTP", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "App",
            dependencies: ["HTTP", "Routing", .product(name: "Logging", package: "swift-log")],
            resources: []
        ),
        .executableTarget(
            name: "concord",
            dependencies: [
                "App",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "HTTP"]),
        .testTarget(name: "ServerTests", dependencies: ["App", "HTTP", "Routing"]),
    ],
    swiftLanguageModes: [.v6]
)
