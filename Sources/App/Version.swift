import Core
import FoundationEssentials

/// What this build is. `version` is the one place the release number is written: `--version`,
/// `/metrics` (`concord_build_info`) and the tests that compare it with `openapi.yaml` read it
/// here, and scripts read it with `sed -n 's/.*static let version = "\(.*\)"/\1/p'`.
public enum Build {
    public static let version = "0.1.0"

    /// The commit the binary was built from: `CONCORD_COMMIT` when set (the image sets it from
    /// its build argument), else the `HEAD` of the git checkout the resources are read from, else
    /// `unknown`.
    public static let commit: String = resolveCommit()

    /// `concord 0.1.0 (commit 1a2b3c4d5e6f)`.
    public static var description: String { "concord \(version) (commit \(commit))" }

    static func resolveCommit(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let value = environment["CONCORD_COMMIT"]?.trimmed(), !value.isEmpty {
            return value
        }
        if let directory = Resources.directory(environment: environment), let head = gitHead(in: directory) {
            return String(head.prefix(12))
        }
        return "unknown"
    }

    /// Reads `HEAD` without running git: a detached hash, or a branch's loose or packed ref.
    /// `.git` may be a directory or, in a worktree, a file naming the real one.
    static func gitHead(in directory: URL) -> String? {
        let dotGit = directory.appendingPathComponent(".git")
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return nil }
        var gitDir = dotGit
        if !isDirectory {
            guard let line = read(dotGit), line.hasPrefix("gitdir: ") else { return nil }
            let path = String(line.dropFirst("gitdir: ".count))
            gitDir = path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
        }
        guard let head = read(gitDir.appendingPathComponent("HEAD")) else { return nil }
        guard head.hasPrefix("ref: ") else { return isHash(head) ? head : nil }
        let ref = String(head.dropFirst("ref: ".count))
        // A worktree keeps its HEAD apart but shares refs with the main repository.
        let common =
            read(gitDir.appendingPathComponent("commondir")).map { dir -> URL in
                dir.hasPrefix("/") ? URL(fileURLWithPath: dir) : gitDir.appendingPathComponent(dir)
            } ?? gitDir
        for base in [gitDir, common] {
            if let hash = read(base.appendingPathComponent(ref)), isHash(hash) { return hash }
        }
        let packed = read(common.appendingPathComponent("packed-refs")) ?? ""
        for line in packed.split(separator: "\n") where line.hasSuffix(" " + ref) {
            let hash = String(line.prefix { $0 != " " })
            if isHash(hash) { return hash }
        }
        return nil
    }

    private static func read(_ url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmed()
    }

    private static func isHash(_ text: String) -> Bool {
        text.count >= 40 && text.allSatisfy(\.isHexDigit)
    }
}
