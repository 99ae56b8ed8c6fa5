import Core
import Foundation
import Platform
import Routing
import TestSupport
import Testing

/// Signed push webhooks against a receiver on loopback.
@Suite struct WebhookTests {
    static func app(maxAttempts: Int = 19, databaseURL: String? = nil, key: String? = nil) throws -> TestApp {
        try TestApp(
            databaseURL: databaseURL,
            configure: {
                $0.webhookAllowPrivate = true
                $0.webhookRetryBaseMilliseconds = 40
                $0.webhookMaxAttempts = maxAttempts
                if let key { $0.adminAPIKey = key }
            })
    }

    /// Creates a subscription and returns its id and secret.
    static func subscribe(_ admin: APIClient, _ url: String, types: String = "") throws -> (id: String, secret: String)
    {
        let reply = try admin.post("/webhooks", #"{"url":"\#(url)","description":"test"\#(types)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue, let secret = reply["secret"]?.stringValue else {
            throw TestFailure("subscribe: \(reply)")
        }
        return (id, secret)
    }

    /// Standard Webhooks: one of the space-separated `v1,<base64>` signatures matches.
    static func verifies(_ request: WebhookReceiver.Received, secret: String) -> Bool {
        guard let id = request.header("webhook-id"), let timestamp = request.header("webhook-timestamp"),
            let signatures = request.header("webhook-signature"),
            let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count)))
        else { return false }
        let expected =
            "v1,"
            + Data(Crypto.hmacSHA256(key: Array(key), message: Array("\(id).\(timestamp).".utf8) + request.body))
            .base64EncodedString()
        return signatures.split(separator: " ").contains { $0 == expected }
    }

    @Test func subscriptions_showTheSecretOnce_andGuardAgainstPrivateTargets() throws {
        let strict = try TestApp()  // CONCORD_WEBHOOK_ALLOW_PRIVATE unset
        let admin = strict.client()
        for url in [
            "http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest", "http://[::1]:8080/x",
            "http://localhost/x",
        ] {
            let refused = try admin.post("/webhooks", #"{"url":"\#(url)"}"#)
            #expect(refused.status == 422, "\(url): \(refused)")
            #expect(refused.text.contains(#""field":"url""#))
        }
        #expect(try admin.post("/webhooks", #"{"url":"ftp://example.com/x"}"#).status == 422)
        #expect(try admin.post("/webhooks", #"{"url":"http://user:pw@example.com/x"}"#).status == 422)
        let app = try Self.app()
        let created = try app.client().post(
            "/webhooks", #"{"url":"http://127.0.0.1:9/hook","event_types":["customer.created"]}"#)
        #expect(created.status == 201, "\(created)")
        #expect(created["secret"]?.stringValue?.hasPrefix("whsec_") == true)
        let id = try #require(created["id"]?.stringValue)
        let shown = try app.client().get("/webhooks/\(id)")
        #expect(shown["secret"] == nil)
        #expect(shown["event_types"] == .array(["customer.created"]))
        #expect(try app.client(key: try app.key(forRole: "sales")).get("/webhooks").status == 403)
        // A patch that changes nothing keeps the version; failing is the deliveries' word only.
        #expect(
            try app.client().patch("/webhooks/\(id)", #"{"event_types":["customer.created"]}"#).header("ETag")
                == "\"1\"")
        #expect(try app.client().patch("/webhooks/\(id)", #"{"status":"failing"}"#).status == 422)
        #expect(try app.client().post("/webhooks", #"{"url":"http://127.0.0.1:9/x","status":"failing"}"#).status == 422)
        let paused = try app.client().post("/webhooks", #"{"url":"http://127.0.0.1:9/y","status":"disabled"}"#)
        #expect(paused["status"] == "disabled")
    }

    @Test func everyEvent_arrivesOnce_inOrder_signed_afterRetries() throws {
        let app = try Self.app()
        let admin = app.client()
        // The first three attempts fail; the receiver then accepts everything.
        let receiver = try WebhookReceiver(answer: { $0 < 3 ? 500 : 200 })
        defer { receiver.stop() }
        let (id, secret) = try Self.subscribe(admin, receiver.url, types: #","event_types":["customer.created"]"#)
        var created: [String] = []
        for name in ["First", "Second", "Third"] {
            created.append(try #require(try admin.post("/customers", #"{"name":"\#(name)"}"#)["id"]?.stringValue))
        }
        _ = try admin.post("/leads", #"{"name":"Not subscribed"}"#)
        #expect(eventually(timeout: 20) { receiver.requests.count >= 6 }, "got \(receiver.requests.count)")
        let requests = receiver.requests
        #expect(requests.allSatisfy { Self.verifies($0, secret: secret) })
        // Three failed attempts of the first message, then each message once, in order.
        let ids = requests.compactMap { $0.header("webhook-id") }
        #expect(Set(ids.prefix(4)).count == 1)
        let delivered = requests.dropFirst(3).map { try? JSONParser.parse($0.body)["data"]?["id"]?.stringValue }
        #expect(delivered == created.map { Optional($0) })
        #expect(requests.allSatisfy { (try? JSONParser.parse($0.body)["type"]) == "customer.created" })
        // Nothing more arrives: a later event is the very next request (one subscription delivers in order).
        _ = try admin.post("/customers", #"{"name":"Marker"}"#)
        #expect(eventually(timeout: 20) { receiver.requests.count >= 7 })
        #expect(receiver.requests.count == 7, "nothing more arrives")
        #expect(
            receiver.requests.dropFirst(6).first.map { String(decoding: $0.body, as: UTF8.self).contains("Marker") }
                == true)
        // The receiver answers before the dispatcher records the outcome: wait for the records.
        func statuses() -> [String] {
            ((try? admin.get("/webhooks/\(id)/deliveries")["data"]?.arrayValue) ?? []).compactMap {
                $0["status"]?.stringValue
            }
        }
        #expect(
            eventually(timeout: 10) { statuses() == ["succeeded", "succeeded", "succeeded", "succeeded"] },
            "\(statuses())")
        let deliveries = try admin.get("/webhooks/\(id)/deliveries")["data"]?.arrayValue ?? []
        #expect(deliveries.first?["attempts"] == .number("4"))
        #expect(deliveries.first?["last_response_status"] == .number("200"))
    }

    @Test func a410_disablesTheSubscription_andNothingMoreIsSent() throws {
        let app = try Self.app()
        let admin = app.client()
        let receiver = try WebhookReceiver(answer: { _ in 410 })
        defer { receiver.stop() }
        let (id, _) = try Self.subscribe(admin, receiver.url)
        _ = try admin.post("/customers", #"{"name":"Gone"}"#)
        #expect(eventually(timeout: 10) { (try? admin.get("/webhooks/\(id)")["status"]) == "disabled" })
        // A second subscription sees the next event: by then the disabled one would have had it too.
        let witness = try WebhookReceiver()
        defer { witness.stop() }
        _ = try Self.subscribe(admin, witness.url)
        _ = try admin.post("/customers", #"{"name":"Ignored"}"#)
        #expect(
            eventually(timeout: 10) {
                witness.requests.contains { String(decoding: $0.body, as: UTF8.self).contains("Ignored") }
            })
        #expect(receiver.requests.count == 1)
        #expect(
            try TestSQL.scalar(app.databaseURL, "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '\(id)'")
                == "1")
        #expect(try admin.get("/webhooks/\(id)")["disabled_reason"]?.stringValue?.contains("410") == true)
        let history = try admin.get("/audit?resource=webhook&resource_id=\(id)")["data"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(history == ["webhook.created", "webhook.updated"], "the 410 is on the record")
    }

    @Test func failingForever_marksTheSubscriptionFailing() throws {
        let app = try Self.app(maxAttempts: 3)
        let admin = app.client()
        let receiver = try WebhookReceiver(answer: { _ in 503 })
        defer { receiver.stop() }
        let (id, _) = try Self.subscribe(admin, receiver.url)
        _ = try admin.post("/customers", #"{"name":"Never lands"}"#)
        #expect(eventually(timeout: 10) { (try? admin.get("/webhooks/\(id)")["status"]) == "failing" })
        #expect(receiver.requests.count == 3)
        let delivery = try admin.get("/webhooks/\(id)/deliveries")["data"]?[0]
        #expect(delivery?["status"] == "failed")
        #expect(delivery?["last_response_status"] == .number("503"))
    }

    @Test func replay_test_andRotation() throws {
        let app = try Self.app()
        let admin = app.client()
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let (id, secret) = try Self.subscribe(admin, receiver.url)
        _ = try admin.post("/customers", #"{"name":"Replayed"}"#)
        #expect(eventually(timeout: 10) { receiver.requests.count == 1 })
        let delivery = try #require(try admin.get("/webhooks/\(id)/deliveries")["data"]?[0]?["id"]?.stringValue)
        // The receiver answers before the dispatcher records the outcome: wait for the record.
        #expect(
            eventually(timeout: 10) {
                (try? admin.get("/webhooks/\(id)/deliveries/\(delivery)")["status"]) == "succeeded"
            })
        let one = try admin.get("/webhooks/\(id)/deliveries/\(delivery)")
        #expect(one["status"] == "succeeded")
        #expect(one["event_type"] == "customer.created")
        #expect(try admin.get("/webhooks/\(id)/deliveries/\(UUID().uuidString)").status == 404)
        let replay = try admin.post("/webhooks/\(id)/deliveries/\(delivery)/replay")
        #expect(replay.status == 202, "\(replay)")
        #expect(replay["replay_of"] == .string(delivery))
        #expect(eventually(timeout: 10) { receiver.requests.count == 2 })
        #expect(receiver.requests[0].header("webhook-id") == receiver.requests[1].header("webhook-id"))
        // Each later message is found by its own webhook-id, so a slow machine's retry of an
        // earlier one cannot stand in for it.
        func received(_ sent: APIClient.Reply) -> WebhookReceiver.Received? {
            guard let message = sent["message_id"]?.stringValue else { return nil }
            return receiver.requests.last { $0.header("webhook-id") == message }
        }
        let test = try admin.post("/webhooks/\(id)/test")
        #expect(test.status == 202)
        #expect(eventually(timeout: 10) { received(test) != nil })
        #expect((try? JSONParser.parse(try #require(received(test)).body)["type"]) == "webhook.test")
        let rotated = try admin.post("/webhooks/\(id)/rotate-secret")
        let newSecret = try #require(rotated["secret"]?.stringValue)
        #expect(newSecret != secret)
        let afterRotation = try admin.post("/webhooks/\(id)/test")
        #expect(eventually(timeout: 10) { received(afterRotation) != nil })
        let last = try #require(received(afterRotation))
        #expect(last.header("webhook-signature")?.split(separator: " ").count == 2)
        #expect(Self.verifies(last, secret: newSecret))
        #expect(Self.verifies(last, secret: secret))
        let receivedBeforeTheEnd = receiver.requests.count
        // Deleting the subscription stops everything it would have received.
        #expect(try admin.delete("/webhooks/\(id)", headers: [("If-Match", "\"9\"")]).status == 412)
        #expect(try admin.delete("/webhooks/\(id)").status == 204)
        #expect(try admin.get("/webhooks/\(id)").status == 404)
        let witness = try WebhookReceiver()
        defer { witness.stop() }
        _ = try Self.subscribe(admin, witness.url)
        _ = try admin.post("/customers", #"{"name":"After the end"}"#)
        #expect(
            eventually(timeout: 10) {
                witness.requests.contains { String(decoding: $0.body, as: UTF8.self).contains("After the end") }
            })
        #expect(receiver.requests.count == receivedBeforeTheEnd)
    }

    @Test func twoInstances_deliverEachEventOnce() throws {
        let first = try Self.app()
        let second = try Self.app(databaseURL: first.databaseURL, key: first.adminKey)
        defer { second.stop() }
        let admin = first.client()
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        _ = try Self.subscribe(admin, receiver.url, types: #","event_types":["lead.created"]"#)
        let ports = [first.port, second.port], key = first.adminKey
        let outcomes = Outcomes()
        concurrently(10) { thread in
            let client = APIClient(port: ports[thread % 2], key: key)
            for n in 0..<3 { outcomes.record { try client.post("/leads", #"{"name":"Lead \#(thread)-\#(n)"}"#) } }
        }
        #expect(outcomes.errors == [])
        #expect(outcomes.statuses == Array(repeating: 201, count: 30))
        #expect(eventually(timeout: 20) { receiver.requests.count >= 30 })
        // A later event is delivered after every earlier one; each delivery was attempted once.
        _ = try admin.post("/leads", #"{"name":"Marker"}"#)
        #expect(
            eventually(timeout: 20) {
                receiver.requests.contains { String(decoding: $0.body, as: UTF8.self).contains("Marker") }
            })
        #expect(
            try TestSQL.scalar(first.databaseURL, "SELECT count(*) FROM webhook_deliveries WHERE attempts > 1") == "0")
        let ids = receiver.requests.dropLast().compactMap { $0.header("webhook-id") }
        #expect(ids.count == 30, "each event once: \(ids.count) requests")
        #expect(Set(ids).count == 30)
        let sequences = receiver.requests.compactMap { try? JSONParser.parse($0.body)["sequence"]?.int64Value }
        #expect(sequences == sequences.sorted(), "in commit order")
    }
}
