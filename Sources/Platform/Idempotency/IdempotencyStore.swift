import Core
import FoundationEssentials
import Postgres

/// SQL of idempotency records.
struct IdempotencyStore: Sendable {
    enum Claim {
        case claimed
        case existing(hash: [UInt8], stored: StoredResponse?)
    }

    struct StoredResponse {
        let status: Int
        let headers: [(String, String)]
        let body: [UInt8]
    }

    /// Claims `key` for this request, or reports the record that holds it. A record older than
    /// 24 hours is treated as gone, and one stuck `running` for 5 minutes (its server died
    /// mid-request) can be taken over.
    func claim(apiKeyID: UUID, key: String, hash: [UInt8], in tx: Transaction) throws -> Claim {
        let hashHex = Crypto.hex(hash)
        if try tx.first(
            """
            INSERT INTO idempotency_keys (api_key_id, key, request_hash, state)
            VALUES (\(apiKeyID), \(key), decode(\(hashHex), 'hex'), 'running')
            ON CONFLICT (api_key_id, key) DO UPDATE
                SET request_hash = excluded.request_hash, state = 'running', response_status = NULL,
                    response_headers = NULL, response_body = NULL, claimed_at = now(), created_at = now()
                WHERE idempotency_keys.created_at < now() - interval '24 hours'
                   OR (idempotency_keys.state = 'running' AND idempotency_keys.claimed_at < now() - interval '5 minutes')
            RETURNING 1 AS claimed
            """) != nil
        {
            return .claimed
        }
        guard
            let row = try tx.first(
                """
                SELECT encode(request_hash, 'hex') AS request_hash, state, response_status, response_headers,
                       encode(response_body, 'hex') AS response_body
                FROM idempotency_keys WHERE api_key_id = \(apiKeyID) AND key = \(key)
                """)
        else {
            return .claimed
        }
        let storedHash = UserStore.bytes(fromHex: try row.decode("request_hash"))
        guard try row.decode("state", as: String.self) == "done" else {
            return .existing(hash: storedHash, stored: nil)
        }
        var headers: [(String, String)] = []
        // Stored as [[name, value], …]: an object would lose repeated header names.
        if case .array(let pairs)? = try row.decodeIfPresent("response_headers", as: JSONValue.self) {
            for pair in pairs {
                if case .array(let parts) = pair, parts.count == 2, let name = parts[0].stringValue,
                    let value = parts[1].stringValue
                {
                    headers.append((name, value))
                }
            }
        }
        return .existing(
            hash: storedHash,
            stored: StoredResponse(
                status: try row.decode("response_status"), headers: headers,
                body: UserStore.bytes(fromHex: try row.decodeIfPresent("response_body") ?? "")))
    }

    func complete(
        apiKeyID: UUID, key: String, status: Int, headers: [(String, String)], body: [UInt8], in tx: Transaction
    ) throws {
        let headerObject = JSONValue.array(headers.map { JSONValue.array([.string($0.0), .string($0.1)]) })
        try tx.execute(
            """
            UPDATE idempotency_keys
            SET state = 'done', response_status = \(status), response_headers = \(headerObject),
                response_body = decode(\(Crypto.hex(body)), 'hex')
            WHERE api_key_id = \(apiKeyID) AND key = \(key)
            """)
    }

    func release(apiKeyID: UUID, key: String, in tx: Transaction) throws {
        try tx.execute(
            "DELETE FROM idempotency_keys WHERE api_key_id = \(apiKeyID) AND key = \(key) AND state = 'running'")
    }

    func reap(in tx: Transaction) throws -> Int {
        try tx.execute("DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'")
    }
}
