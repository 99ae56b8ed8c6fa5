import App
import Foundation
import TestSupport
import Testing

/// `DATABASE_URL_FILE`, `DATABASE_READ_URL_FILE`, `CONCORD_ADMIN_API_KEY_FILE`: secrets mounted
/// as files (Docker and Kubernetes secrets) instead of environment values.
@Suite struct SecretFileTests {
    /// Writes `content` to a new file and returns its path.
    static func secretFile(_ content: String) throws -> String {
        let path = NSTemporaryDirectory() + "concord-secret-\(UUID().uuidString)"
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func eachSecret_isReadFromItsFile_withoutTheTrailingNewline() throws {
        let key = TestApp.newKey()
        let config = try Configuration.load(environment: [
            "DATABASE_URL_FILE": try Self.secretFile("postgres://app:s3cret@db:5432/concord\r\n"),
            "CONCORD_ADMIN_API_KEY_FILE": try Self.secretFile(key),
        ])
        #expect(config.databaseURL == "postgres://app:s3cret@db:5432/concord")
        #expect(config.adminAPIKey == key)
        // Replicas from a file as from the variable: comma-separated, each password masked.
        let replicas = try Configuration.load(environment: [
            "DATABASE_READ_URL_FILE": try Self.secretFile(
                "postgres://app:s3cret@replica1:5432/concord, postgres://app:s3cret@replica2:5432/concord\n")
        ])
        #expect(
            replicas.databaseReadURLs == [
                "postgres://app:s3cret@replica1:5432/concord", "postgres://app:s3cret@replica2:5432/concord",
            ])
        #expect(
            replicas.printable.contains(
                "DATABASE_READ_URL=postgres://app:***@replica1:5432/concord,postgres://app:***@replica2:5432/concord"))
    }

    @Test(arguments: Configuration.fileVariables)
    func bothForms_areAStartUpError(_ name: String) throws {
        let value = name == "CONCORD_ADMIN_API_KEY" ? TestApp.newKey() : "postgres://a@b/c"
        #expect {
            try Configuration.load(environment: [name: value, name + "_FILE": try Self.secretFile(value)])
        } throws: { error in
            "\(error)" == "\(name) and \(name)_FILE are both set: set one of them"
        }
    }

    @Test func aMissingOrEmptyFile_isNamed_andAFileValueIsCheckedLikeTheVariable() throws {
        #expect {
            try Configuration.load(environment: ["DATABASE_URL_FILE": "/nonexistent/db-url"])
        } throws: { error in
            "\(error)"
                == "invalid DATABASE_URL_FILE: expected a readable file holding the value (cannot read /nonexistent/db-url)"
        }
        let empty = try Self.secretFile("\n")
        #expect {
            try Configuration.load(environment: ["CONCORD_ADMIN_API_KEY_FILE": empty])
        } throws: { error in
            "\(error)" == "invalid CONCORD_ADMIN_API_KEY_FILE: expected a file holding the value (\(empty) is empty)"
        }
        #expect {
            try Configuration.load(environment: ["CONCORD_ADMIN_API_KEY_FILE": try Self.secretFile("not-a-key\n")])
        } throws: { error in
            "\(error)".hasPrefix("invalid CONCORD_ADMIN_API_KEY: expected ck_")
        }
        // An empty variable counts as unset, as everywhere else.
        let config = try Configuration.load(environment: [
            "DATABASE_URL": "", "DATABASE_URL_FILE": try Self.secretFile("postgres://x@y/z"),
        ])
        #expect(config.databaseURL == "postgres://x@y/z")
    }

    /// The real binary: started with its database and admin key in files, it serves with them;
    /// given both forms, it stops before doing anything with one line.
    @Test func binary_servesWithSecretsFromFiles_andRefusesBothForms() throws {
        let key = TestApp.newKey()
        let running = try ExecutableTests.Running(environment: [
            "CONCORD_LOG_LEVEL": "info",
            "DATABASE_URL_FILE": try Self.secretFile(try TestCluster.freshDatabase() + "\n"),
            "CONCORD_ADMIN_API_KEY_FILE": try Self.secretFile(key + "\n"),
        ])
        defer { running.process.terminate(); running.process.waitUntilExit() }
        let port = try running.waitForPort()
        let me = try APIClient(port: port, key: key).get("/me")
        #expect(me.status == 200)
        #expect(me["role"] == "admin")

        let url = try TestCluster.freshDatabase()
        let refused = try ExecutableTests.Running(environment: [
            "DATABASE_URL": url, "DATABASE_URL_FILE": try Self.secretFile(url),
        ])
        try #require(refused.exited(), "it did not stop")
        #expect(refused.process.terminationStatus == 2)
        #expect(
            String(decoding: refused.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                == "concord: DATABASE_URL and DATABASE_URL_FILE are both set: set one of them\n")
    }
}
