import FoundationEssentials

/// Finds the files that ship beside the binary (`openapi.yaml`, `Migrations/`): in
/// `CONCORD_RESOURCES_DIR`, the working directory, or a parent of the executable's directory
/// (so `.build/release/concord` finds the repository's files and `/app/concord` finds `/app`).
public enum Resources {
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        var candidates: [URL] = []
        if let dir = environment["CONCORD_RESOURCES_DIR"], !dir.isEmpty { candidates.append(URL(fileURLWithPath: dir)) }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        var executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(executable)
            executable = executable.deletingLastPathComponent()
        }
        return candidates.first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("openapi.yaml").path)
        }
    }

    /// The OpenAPI document's bytes, or nil when it cannot be found.
    public static func openAPIDocument() -> [UInt8]? {
        guard let dir = directory(),
            let data = FileManager.default.contents(atPath: dir.appendingPathComponent("openapi.yaml").path)
        else {
            return nil
        }
        return Array(data)
    }
}
