import Foundation
import TestSupport
import Testing

/// `POST /webhooks` answers like every other create: the resource itself, plus its secret.
@Suite struct WebhookShapeTests {
    @Test func create_andRotate_answerTheEndpointItself_withTheSecretAsAField() throws {
        let app = try WebhookTests.app()
        let admin = app.client()
        let created = try admin.post("/webhooks", #"{"url":"http://127.0.0.1:9/hook","description":"orders"}"#)
        #expect(created.status == 201, "\(created)")
        let id = try #require(created["id"]?.stringValue)
        #expect(created["webhook"] == nil)
        #expect(created.header("Location") == "/webhooks/\(id)")
        #expect(created["url"] == "http://127.0.0.1:9/hook")
        #expect(created["description"] == "orders")
        #expect(created["status"] == "enabled")
        #expect(created["version"] == 1)
        #expect(created["secret"]?.stringValue?.hasPrefix("whsec_") == true)
        #expect(created["previous_secret_expires_at"] == .null)
        // The plain read has the same members, less the secret.
        let shown = try admin.get("/webhooks/\(id)")
        #expect(shown["id"] == created["id"])
        #expect(shown["secret"] == nil)

        let rotated = try admin.post("/webhooks/\(id)/rotate-secret")
        #expect(rotated.status == 200)
        #expect(rotated["id"]?.stringValue == id)
        #expect(rotated["webhook"] == nil)
        #expect(rotated["url"] == "http://127.0.0.1:9/hook")
        #expect(rotated["secret"]?.stringValue?.hasPrefix("whsec_") == true)
        #expect(rotated["secret"] != created["secret"])
        #expect(rotated["previous_secret_expires_at"]?.stringValue != nil)
    }
}
