import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Deliveries over https: the certificate chain and the host name are verified.
@Suite(.serialized) struct HTTPSDeliveryTests {
    @Test func https_deliversToATrustedCertificate_andRefusesAnUntrustedOne() throws {
        let trusted = try TLSReceiver()
        defer { trusted.stop() }
        // OpenSSL reads SSL_CERT_FILE when the client context loads its trust store (once per
        // process; this target's other tests only use plain http).
        setenv("SSL_CERT_FILE", trusted.caFile, 1)
        let app = try WebhookTests.app()
        let admin = app.client()
        let (id, _) = try WebhookTests.subscribe(admin, trusted.url)
        _ = try admin.post("/customers", #"{"name":"Over TLS"}"#)
        let arrived = eventually(timeout: 15) { trusted.received.count == 1 }
        #expect(arrived, "\((try? admin.get("/webhooks/\(id)/deliveries").text) ?? "")")
        #expect(trusted.received.first?.contains("customer.created") == true)

        // A certificate from another authority is refused, and the delivery says why.
        let stranger = try TLSReceiver()
        defer { stranger.stop() }
        let (other, _) = try WebhookTests.subscribe(admin, stranger.url)
        _ = try admin.post("/customers", #"{"name":"Not over TLS"}"#)
        #expect(
            eventually(timeout: 15) {
                (try? admin.get("/webhooks/\(other)/deliveries")["data"]?[0]?["last_error"]?.stringValue)?.contains(
                    "TLS") == true
            })
        #expect(stranger.received.isEmpty)

        // A trusted chain for another host name is refused too: the name is checked, not only the chain.
        let impostor = try TLSReceiver(hostName: "elsewhere.example", signedBy: trusted)
        defer { impostor.stop() }
        let (misnamed, _) = try WebhookTests.subscribe(admin, impostor.url)
        _ = try admin.post("/customers", #"{"name":"Wrong host"}"#)
        #expect(
            eventually(timeout: 15) {
                (try? admin.get("/webhooks/\(misnamed)/deliveries")["data"]?[0]?["last_error"]?.stringValue)?.contains(
                    "TLS") == true
            }, "\((try? admin.get("/webhooks/\(misnamed)/deliveries").text) ?? "")")
        #expect(impostor.received.isEmpty)
    }
}
