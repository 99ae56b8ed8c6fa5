import Core
import FoundationEssentials
import Postgres
import Routing

/// `POST /<things>/batch {"items": [...], "mode": "all_or_nothing" | "partial"}`: up to 500
/// creates in one request. All or nothing (the default) runs every create in one transaction
/// and, if any fails, writes nothing and answers 422 `batch_failed` listing each failed item
/// (`items: [{"index", "code", "detail", "errors"}]`); partial runs each in its own
/// transaction and answers 200 with a result per item. `Idempotency-Key` covers the whole
/// batch, like any POST.
public enum Batch {
    public static let maxItems = 500

    public enum Mode: String, Decodable, CaseIterable { case allOrNothing = "all_or_nothing", partial }

    struct Body: Decodable {
        var items: [JSONValue]
        var mode: Mode?
    }

    /// Runs `create` for every item (0-based index and the item's JSON) and builds the answer.
    /// `create` decodes the item with `JSONValue.decodeModel` and calls the module's service,
    /// which joins the batch's transaction in all-or-nothing mode.
    public static func run<T: Encodable>(
        _ request: Request, pool: ConnectionPool,
        create: (Int, JSONValue) throws -> T
    ) throws -> Response {
        let body = try request.decode(Body.self)
        guard !body.items.isEmpty, body.items.count <= maxItems else {
            throw AppError.validation([FieldError(field: "items", message: "must hold 1 to \(maxItems) items")])
        }
        switch body.mode ?? .allOrNothing {
        case .allOrNothing:
            let created: [T]
            do {
                created = try pool.transaction { tx in
                    var results: [T] = []
                    var failures: [JSONValue] = []
                    for (index, item) in body.items.enumerated() {
                        // A savepoint per item: an item the database refuses (a unique value
                        // taken) is undone alone, and the others are still checked.
                        do {
                            results.append(try tx.withSavepoint { try create(index, item) })
                        } catch let error as AppError {
                            failures.append(failure(index, error))
                        } catch let error as ProblemConvertible {
                            failures.append(failure(index, error.problem))
                        }
                    }
                    if !failures.isEmpty { throw Failed(items: failures) }
                    return results
                }
            } catch let failed as Failed {
                throw AppError(
                    .batchFailed, "\(failed.items.count) of \(body.items.count) items failed; nothing was created",
                    extra: JSONObject([("items", .array(failed.items))]))
            }
            return try .json(Created(mode: "all_or_nothing", data: created), status: 201)
        case .partial:
            var results: [JSONValue] = []
            var createdCount = 0
            for (index, item) in body.items.enumerated() {
                do {
                    let value = try pool.transaction { _ in try create(index, item) }
                    results.append(
                        .object(
                            JSONObject([
                                ("index", .number(String(index))), ("status", .number("201")),
                                ("data", try JSONValueEncoder().encode(value)),
                            ])))
                    createdCount += 1
                } catch {
                    let problem =
                        (error as? AppError) ?? (error as? ProblemConvertible)?.problem
                        ?? AppError(.internalError, "the item could not be created")
                    var entry = failure(index, problem)
                    if case .object(var object) = entry {
                        object.set("status", .number(String(problem.code.status)))
                        entry = .object(object)
                    }
                    results.append(entry)
                }
            }
            return .json(
                .object(
                    JSONObject([
                        ("mode", .string("partial")), ("created", .number(String(createdCount))),
                        ("failed", .number(String(body.items.count - createdCount))), ("data", .array(results)),
                    ])))
        }
    }

    struct Failed: Error {
        let items: [JSONValue]
    }

    struct Created<T: Encodable>: Encodable {
        let mode: String
        let data: [T]
    }

    /// `{"index", "code", "detail", "errors"}` plus the problem's own members (`candidates`, …).
    static func failure(_ index: Int, _ error: AppError) -> JSONValue {
        var object = JSONObject([
            ("index", .number(String(index))), ("code", .string(error.code.rawValue)),
            ("detail", .string(error.detail)),
            ("errors", (try? JSONValueEncoder().encode(error.errors)) ?? .array([])),
        ])
        for (key, value) in error.extra { object.set(key, value) }
        return .object(object)
    }
}
