import Core
import FoundationEssentials
import Platform
import Postgres

/// A table column that points at customers, registered by the module that owns it so a merge
/// moves it (API.md: merge moves every reference of the duplicate, in one transaction).
public struct CustomerReference: Sendable {
    /// What the response's `moved` counts it as (`opportunities`).
    public let label: String
    /// `table.column`, checked against the database catalog by the tests so no reference is missed.
    public let column: String
    /// Re-points every row from the duplicate to the survivor inside the merge's transaction;
    /// returns how many rows moved.
    public let move: @Sendable (_ duplicate: UUID, _ survivor: UUID, _ tx: Transaction) throws -> Int

    public init(label: String, column: String, move: @escaping @Sendable (UUID, UUID, Transaction) throws -> Int) {
        self.label = label
        self.column = column
        self.move = move
    }
}

/// The customer master: create, change, merge, archive, delete; contacts.
public final class CustomerService: @unchecked Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let users: UserService
    public let defaultCurrency: String
    let store = CustomerStore()
    /// Filled while wiring, read-only once serving.
    private var registeredReferences: [CustomerReference] = []

    public init(pool: ConnectionPool, events: EventLog, users: UserService, defaultCurrency: String) {
        self.pool = pool
        self.events = events
        self.users = users
        self.defaultCurrency = defaultCurrency
        registeredReferences.append(
            CustomerReference(label: "contacts", column: "customer_contacts.customer_id") { [store] from, to, tx in
                try store.moveContacts(from: from, to: to, in: tx)
            })
    }

    /// Adds a module's customer column to what merges move. Call only while wiring.
    public func registerReference(_ reference: CustomerReference) { registeredReferences.append(reference) }

    /// Every column a merge moves.
    public var references: [CustomerReference] { registeredReferences }

    // MARK: Customers

    func create(_ input: CustomerInput, actor: Principal?) throws -> Customer {
        var input = input
        input.normalize()
        try input.validate()
        return try mappingDuplicates({ (input, nil) }) {
            try pool.transaction { tx in try create(input, actor: actor, in: tx) }
        }
    }

    /// Creates a customer inside the caller's transaction (lead conversion). The input must be
    /// normalized and valid; a held unique value is a 409 `duplicate_customer`.
    public func create(_ input: CustomerInput, actor: Principal?, in tx: Transaction) throws -> Customer {
        var input = input
        input.ownerId = try users.teams.owner(requested: input.ownerId, team: input.teamId, actor: actor, in: tx)
        let holders = try store.holdersOfUniqueValues(
            email: input.email, taxId: input.taxId, externalRef: input.externalRef,
            excluding: nil, in: tx)
        if !holders.isEmpty { throw Self.duplicate(holders) }
        return try events.recorded(
            "customer.created", try store.insert(input, defaultCurrency: defaultCurrency, in: tx), actor: actor, in: tx)
    }

    /// Customers a lead may duplicate: the same email, or a company of the same name
    /// (case-insensitively), email matches first. Inside the caller's transaction.
    public func lookalikes(email: String?, companyName: String?, in tx: Transaction) throws -> [DuplicateCandidate] {
        try store.lookalikes(email: email, companyName: companyName, in: tx)
    }

    /// Adds a contact to a customer inside the caller's transaction (a converted lead's person).
    public func addContact(
        to customerID: UUID, name: String, email: String?, phone: String?, primary: Bool, actor: Principal?,
        in tx: Transaction
    ) throws -> Contact {
        var input = ContactInput(name: name, email: email, phone: phone, role: nil, isPrimary: primary)
        input.normalize()
        try input.validate()
        if primary { try demoteOtherPrimaries(customerID: customerID, except: nil, actor: actor, in: tx) }
        return try events.recorded(
            "contact.created", try store.insertContact(customerID: customerID, input, in: tx), actor: actor, in: tx)
    }

    /// Validates and normalizes input built by another module (a lead becoming a customer).
    public func prepare(_ input: CustomerInput) throws -> CustomerInput {
        var input = input
        input.normalize()
        try input.validate()
        return input
    }

    public func customer(_ key: DocumentKey) throws -> Customer {
        try pool.record("customer") { tx in try store.customer(key, in: tx) }
    }

    /// The customer inside the caller's transaction; `lock` holds its row until the end.
    public func customer(id: UUID, lock: Bool = false, in tx: Transaction) throws -> Customer? {
        lock ? try store.lock(.id(id), in: tx) : try store.customer(.id(id), in: tx)
    }

    func list(_ query: CustomerQuery, page: PageRequest) throws -> Page<Customer> {
        let rows = try pool.read { tx in try store.list(query, after: page.after, limit: page.limit, in: tx) }
        return page.page(
            rows, key: { query.sort == .name ? $0.name.lowercased() : $0.createdAt.postgresText }, id: \.id)
    }

    /// Applies a merge patch of the writable fields (RFC 7396) to the current record.
    func update(_ key: DocumentKey, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Customer
    {
        var attempted: (CustomerInput, UUID?)?
        return try mappingDuplicates({ attempted }) {
            try pool.transaction { tx in
                guard let current = try store.lock(key, in: tx) else { throw AppError.notFound("customer") }
                try ifMatch(current.version)
                if current.mergedIntoId != nil {
                    throw AppError(
                        .customerMerged, "\(current.number) was merged into another customer and can no longer change")
                }
                let edit = try RecordPatch<CustomerInput>(patch, to: current, writable: Customer.writableFields)
                let input = edit.input
                attempted = (input, current.id)
                var changed = current
                changed.name = input.name
                changed.kind = input.kind ?? .company
                changed.email = input.email
                changed.phone = input.phone
                changed.taxId = input.taxId
                changed.website = input.website
                changed.billingAddress = input.billingAddress
                changed.shippingAddress = input.shippingAddress
                changed.tier = input.tier ?? .standard
                changed.creditLimit = input.creditLimit
                changed.paymentTermsDays = input.paymentTermsDays ?? 30
                changed.currency = input.currency ?? defaultCurrency
                changed.tags = input.tags ?? []
                changed.ownerId = input.ownerId
                changed.status = input.status ?? .active
                changed.externalRef = input.externalRef
                // A patch that changes nothing writes nothing: no new version, no event.
                if try edit.leavesUnchanged(changed) { return current }
                if changed.ownerId != current.ownerId {
                    try checkOwner(changed.ownerId)
                    try actor.scope.checkOwner(changed.ownerId, in: tx)
                }
                let holders = try store.holdersOfUniqueValues(
                    email: changed.email == current.email ? nil : changed.email,
                    taxId: changed.taxId == current.taxId ? nil : changed.taxId,
                    externalRef: changed.externalRef == current.externalRef ? nil : changed.externalRef,
                    excluding: current.id, in: tx)
                if !holders.isEmpty { throw Self.duplicate(holders) }
                return try events.recorded("customer.updated", try store.update(changed, in: tx), actor: actor, in: tx)
            }
        }
    }

    /// Fills only the customer's empty fields from `input` (a lead linked to an existing
    /// customer never overwrites what the master already knows). Inside the caller's transaction.
    public func fillEmptyFields(of id: UUID, from input: CustomerInput, actor: Principal?, in tx: Transaction) throws
        -> Customer
    {
        guard let current = try store.lock(.id(id), in: tx) else { throw AppError.notFound("customer") }
        var changed = current
        if changed.email == nil, let email = input.email,
            try store.holdersOfUniqueValues(email: email, taxId: nil, externalRef: nil, excluding: id, in: tx).isEmpty
        {
            changed.email = email
        }
        if changed.phone == nil { changed.phone = input.phone }
        if changed.website == nil { changed.website = input.website }
        if changed.ownerId == nil { changed.ownerId = input.ownerId }
        guard
            changed.email != current.email || changed.phone != current.phone || changed.website != current.website
                || changed.ownerId != current.ownerId
        else { return current }
        return try events.recorded("customer.updated", try store.update(changed, in: tx), actor: actor, in: tx)
    }

    /// Deletes a customer no document refers to; otherwise a 409 that says to archive it.
    func delete(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws {
        do {
            try pool.transaction { tx in
                guard let current = try store.lock(key, in: tx) else { throw AppError.notFound("customer") }
                try ifMatch(current.version)
                try events.append(
                    "customer.deleted", resourceType: "customer", resourceID: current.id, resource: current,
                    actor: actor, in: tx)
                try store.delete(id: current.id, in: tx)
            }
        } catch let error as PostgresError where error.state == .foreignKeyViolation {
            throw AppError(
                .customerInUse,
                "documents refer to this customer, so it cannot be deleted; archive it instead (PATCH status archived)")
        }
    }

    /// Moves every reference of `duplicateID` to the customer `key` names and archives the
    /// duplicate, in one transaction.
    func merge(into key: DocumentKey, duplicateID: UUID, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> MergeResult
    {
        try pool.transaction { tx in
            guard let found = try store.customer(key, in: tx) else { throw AppError.notFound("customer") }
            if found.id == duplicateID {
                throw AppError(
                    .mergeNotAllowed, "a customer cannot be merged into itself",
                    errors: [FieldError(field: "duplicate_id", message: "is the customer itself")])
            }
            let locked = try store.lockPair(found.id, duplicateID, in: tx)
            guard var survivor = locked[found.id] else { throw AppError.notFound("customer") }
            guard var duplicate = locked[duplicateID] else {
                throw AppError.validation([FieldError(field: "duplicate_id", message: "names no customer")])
            }
            try ifMatch(survivor.version)
            for customer in [survivor, duplicate] where customer.status == .archived {
                throw AppError(
                    .mergeNotAllowed, "\(customer.number) is archived; only active or blocked customers can be merged")
            }
            var moved = JSONObject()
            for reference in registeredReferences {
                let count = try reference.move(duplicate.id, survivor.id, tx)
                let before = moved[reference.label]?.int64Value ?? 0
                moved.set(reference.label, .number(String(before + Int64(count))))
            }
            duplicate.status = .archived
            duplicate.mergedIntoId = survivor.id
            duplicate = try store.update(duplicate, in: tx)
            // The survivor's own fields stay; its version moves because what hangs off it changed.
            survivor = try store.update(survivor, in: tx)
            let result = MergeResult(customer: survivor, merged: duplicate, moved: .object(moved))
            try events.append(
                "customer.updated", resourceType: "customer", resourceID: duplicate.id, resource: duplicate,
                actor: actor, in: tx)
            try events.append(
                "customer.merged", resourceType: "customer", resourceID: survivor.id, resource: result,
                actor: actor, in: tx)
            return result
        }
    }

    /// Hands the customer to another owner: an admin, or a team manager within their team.
    /// Recorded as `customer.reassigned`; its documents follow it.
    func reassign(_ key: DocumentKey, to owner: UUID, actor: Principal) throws -> Customer {
        try pool.transaction { tx in
            guard var customer = try store.lock(key, in: tx) else { throw AppError.notFound("customer") }
            try users.teams.checkReassign(from: customer.ownerId, to: owner, actor: actor, in: tx)
            guard customer.ownerId != owner else { return customer }
            customer.ownerId = owner
            return try events.recorded("customer.reassigned", try store.update(customer, in: tx), actor: actor, in: tx)
        }
    }

    // MARK: Contacts

    func createContact(customer key: DocumentKey, _ input: ContactInput, actor: Principal) throws -> Contact {
        var input = input
        input.normalize()
        try input.validate()
        return try pool.transaction { tx in
            guard let customer = try store.lock(key, in: tx) else { throw AppError.notFound("customer") }
            if customer.status == .archived {
                throw AppError(
                    .invalidTransition, "\(customer.number) is archived; contacts cannot be added",
                    extra: JSONObject([("from_state", .string("archived")), ("to_state", .null)]))
            }
            if input.isPrimary == true {
                try demoteOtherPrimaries(customerID: customer.id, except: nil, actor: actor, in: tx)
            }
            return try events.recorded(
                "contact.created", try store.insertContact(customerID: customer.id, input, in: tx), actor: actor, in: tx
            )
        }
    }

    func contact(customer key: DocumentKey, id: UUID) throws -> Contact {
        try pool.transaction { tx in
            guard let customer = try store.customer(key, in: tx),
                let contact = try store.contact(id: id, customerID: customer.id, in: tx)
            else { throw AppError.notFound("contact") }
            return contact
        }
    }

    func listContacts(customer key: DocumentKey, page: PageRequest) throws -> Page<Contact> {
        try pool.page(page, consistent: true) { tx in
            guard let customer = try store.customer(key, in: tx) else { throw AppError.notFound("customer") }
            return try store.listContacts(customerID: customer.id, after: page.after, limit: page.limit, in: tx)
        }
    }

    func updateContact(
        customer key: DocumentKey, id: UUID, patch: JSONValue, ifMatch: (Int) throws -> Void,
        actor: Principal
    ) throws -> Contact {
        try pool.transaction { tx in
            guard let customer = try store.lock(key, in: tx),
                let current = try store.contact(id: id, customerID: customer.id, lock: true, in: tx)
            else {
                throw AppError.notFound("contact")
            }
            try ifMatch(current.version)
            let edit = try RecordPatch<ContactInput>(patch, to: current, writable: Contact.writableFields)
            let input = edit.input
            var changed = current
            changed.name = input.name
            changed.email = input.email
            changed.phone = input.phone
            changed.role = input.role
            changed.isPrimary = input.isPrimary ?? false
            if try edit.leavesUnchanged(changed) { return current }
            if changed.isPrimary && !current.isPrimary {
                try demoteOtherPrimaries(customerID: customer.id, except: current.id, actor: actor, in: tx)
            }
            return try events.recorded(
                "contact.updated", try store.updateContact(changed, in: tx), actor: actor, in: tx)
        }
    }

    func deleteContact(customer key: DocumentKey, id: UUID, ifMatch: (Int) throws -> Void, actor: Principal) throws {
        try pool.transaction { tx in
            guard let customer = try store.customer(key, in: tx),
                let current = try store.contact(id: id, customerID: customer.id, lock: true, in: tx)
            else {
                throw AppError.notFound("contact")
            }
            try ifMatch(current.version)
            try store.deleteContact(id: current.id, in: tx)
            try events.append(
                "contact.deleted", resourceType: "contact", resourceID: current.id, resource: current, actor: actor,
                in: tx)
        }
    }

    private func demoteOtherPrimaries(customerID: UUID, except: UUID?, actor: Principal?, in tx: Transaction) throws {
        for demoted in try store.clearPrimary(customerID: customerID, except: except, in: tx) {
            try events.append(
                "contact.updated", resourceType: "contact", resourceID: demoted.id, resource: demoted, actor: actor,
                in: tx)
        }
    }

    // MARK: Rules

    private func checkOwner(_ ownerID: UUID?) throws {
        guard let ownerID else { return }
        if try !users.userExists(ownerID) {
            throw AppError.validation([FieldError(field: "owner_id", message: "names no user")])
        }
    }

    /// 409 `duplicate_customer` listing the customers that hold the values (API.md).
    public static func duplicate(_ holders: [DuplicateCandidate]) -> AppError {
        let first = holders[0]
        let fields = Array(Set(holders.map(\.matchedOn))).sorted()
        return AppError(
            .duplicateCustomer,
            "customer \(first.number) already has this \(first.matchedOn.replacingAll("_", with: " "))",
            errors: fields.map { field in
                FieldError(
                    field: field, message: "is already used by \(holders.first { $0.matchedOn == field }!.number)")
            },
            extra: JSONObject([("candidates", (try? JSONValueEncoder().encode(holders)) ?? .array([]))]))
    }

    /// Runs `body`; a unique violation that slipped past the pre-check (two writers at once)
    /// becomes the same `duplicate_customer` answer, looked up after the failed transaction.
    private func mappingDuplicates<T>(
        _ attempt: () -> (input: CustomerInput, excluding: UUID?)?, _ body: () throws -> T
    ) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError
            where error.state == .uniqueViolation
            && ["customers_email_key", "customers_tax_id_key", "customers_external_ref_key"].contains(
                error.constraint ?? "")
        {
            let field = String(error.constraint!.dropFirst("customers_".count).dropLast("_key".count))
            if let (input, excluding) = attempt() {
                let holders = try pool.read { tx in
                    try store.holdersOfUniqueValues(
                        email: input.email, taxId: input.taxId, externalRef: input.externalRef,
                        excluding: excluding, in: tx)
                }
                if !holders.isEmpty { throw Self.duplicate(holders) }
            }
            throw AppError(
                .duplicateCustomer,
                "another customer already has this \(field.replacingAll("_", with: " "))",
                errors: [FieldError(field: field, message: "is already used by another customer")])
        }
    }
}

/// `POST /customers/{id}/merge`: the survivor, the archived duplicate, and how many references
/// of each kind moved.
struct MergeResult: Encodable {
    let customer: Customer
    let merged: Customer
    let moved: JSONValue
}

extension ProblemCode {
    public static let duplicateCustomer = ProblemCode("duplicate_customer", .conflict)
    public static let customerInUse = ProblemCode("customer_in_use", .conflict)
    public static let customerMerged = ProblemCode("customer_merged", .conflict)
    public static let mergeNotAllowed = ProblemCode("merge_not_allowed", .conflict)
}

/// Listed in creation order.
extension Contact: CreatedRecord {}

/// Patched through RecordPatch.
extension CustomerInput: RecordInput {}
extension ContactInput: RecordInput {}

/// Named by id in events.
extension Customer: IdentifiedRecord {}
