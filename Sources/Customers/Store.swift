import Core
import FoundationEssentials
import Platform
import Postgres

/// The filters and order of `GET /customers`.
struct CustomerQuery {
    var q: String?
    var status: Customer.Status?
    var tier: CustomerTier?
    var ownerId: UUID?
    var tag: String?
    var externalRef: String?
    var email: String?
    var sort: CustomerSort = .createdAt
    var descending = false
}

enum CustomerSort: String, CaseIterable {
    case name
    case createdAt = "created_at"
}

/// SQL of customers and contacts.
struct CustomerStore: Sendable {
    /// The addresses come as their members, not as `jsonb`: parsing each into a JSON tree and
    /// reading it back was a sixth of the cost of a page of 50 customers.
    static let columns: SQL = """
        id, number, name, kind, email, phone, tax_id, website, \(addressColumns("billing")), \(addressColumns("shipping")),
        tier, credit_limit, payment_terms_days, currency, tags, owner_id, status, external_ref, merged_into_id,
        created_at, updated_at, version
        """

    /// `<kind>_address IS NOT NULL` as `<kind>_address`, then each member as `<kind>_<member>`.
    static func addressColumns(_ kind: String) -> SQL {
        let column = "\(kind)_address"
        let members = Address.members.map { "\(column)->>'\($0)' AS \(kind)_\($0)" }
        return SQL(unsafeRaw: (["\(column) IS NOT NULL AS \(column)"] + members).joined(separator: ", "))
    }

    /// The names `addressColumns` gives its columns, in its order.
    static func addressColumnNames(_ kind: String) -> [String] {
        ["\(kind)_address"] + Address.members.map { "\(kind)_\($0)" }
    }
    static let billingColumns = addressColumnNames("billing")
    static let shippingColumns = addressColumnNames("shipping")

    func insert(_ input: CustomerInput, defaultCurrency: String, in tx: Transaction) throws -> Customer {
        try Self.customer(
            tx.first(
                """
                INSERT INTO customers (name, kind, email, phone, tax_id, website, billing_address, shipping_address, tier,
                                       credit_limit, payment_terms_days, currency, tags, owner_id, status, external_ref)
                VALUES (\(input.name), \((input.kind ?? .company).rawValue), \(input.email), \(input.phone), \(input.taxId),
                        \(input.website), \(input.billingAddress?.stored), \(input.shippingAddress?.stored),
                        \((input.tier ?? .standard).rawValue), \(input.creditLimit), \(input.paymentTermsDays ?? 30),
                        \(input.currency ?? defaultCurrency), \(input.tags ?? []), \(input.ownerId),
                        \((input.status ?? .active).rawValue), \(input.externalRef))
                RETURNING \(Self.columns)
                """)!)
    }

    /// Who sees a customer: its owner, within the request's scope (RecordScope).
    static let visible = RecordScope.Rule.owner("owner_id")

    func customer(_ key: DocumentKey, in tx: Transaction) throws -> Customer? {
        try tx.first("SELECT \(Self.columns) FROM customers WHERE \(key.condition(visible: Self.visible))").map(
            Self.customer)
    }

    /// The row, locked until the transaction ends (every change goes through this). NO KEY
    /// UPDATE: documents that merely refer to the customer (their foreign keys take KEY SHARE)
    /// can still be written meanwhile.
    func lock(_ key: DocumentKey, in tx: Transaction) throws -> Customer? {
        try tx.first(
            "SELECT \(Self.columns) FROM customers WHERE \(key.condition(visible: Self.visible)) FOR NO KEY UPDATE"
        ).map(Self.customer)
    }

    /// Locks two customers in id order, so two merges of the same pair cannot deadlock.
    func lockPair(_ first: UUID, _ second: UUID, in tx: Transaction) throws -> [UUID: Customer] {
        let rows = try tx.query(
            """
            SELECT \(Self.columns) FROM customers
            WHERE id = ANY(\([first, second])::uuid[]) AND \(RecordScope.current.filter(Self.visible))
            ORDER BY id FOR UPDATE
            """
        ).rows.map(Self.customer)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
    }

    func update(_ customer: Customer, in tx: Transaction) throws -> Customer {
        try Self.customer(
            tx.first(
                """
                UPDATE customers SET name = \(customer.name), kind = \(customer.kind.rawValue), email = \(customer.email),
                    phone = \(customer.phone), tax_id = \(customer.taxId), website = \(customer.website),
                    billing_address = \(customer.billingAddress?.stored),
                    shipping_address = \(customer.shippingAddress?.stored), tier = \(customer.tier.rawValue),
                    credit_limit = \(customer.creditLimit), payment_terms_days = \(customer.paymentTermsDays),
                    currency = \(customer.currency), tags = \(customer.tags), owner_id = \(customer.ownerId),
                    status = \(customer.status.rawValue), external_ref = \(customer.externalRef),
                    merged_into_id = \(customer.mergedIntoId), updated_at = now(), version = version + 1
                WHERE id = \(customer.id)
                RETURNING \(Self.columns)
                """)!)
    }

    /// Deletes the customer; a document that still refers to it makes this fail with 23503.
    func delete(id: UUID, in tx: Transaction) throws {
        try tx.execute("DELETE FROM customers WHERE id = \(id)")
    }

    /// Customers other than `excluding` that already hold one of `input`'s unique values.
    func holdersOfUniqueValues(
        email: String?, taxId: String?, externalRef: String?, excluding: UUID?,
        in tx: Transaction
    ) throws -> [DuplicateCandidate] {
        guard email != nil || taxId != nil || externalRef != nil else { return [] }
        return try tx.query(
            """
            SELECT id, number, name, email,
                   CASE WHEN lower(email) = lower(\(email)) THEN 'email'
                        WHEN upper(tax_id) = upper(\(taxId)) THEN 'tax_id'
                        ELSE 'external_ref' END AS matched_on,
                   NOT (\(RecordScope.current.filter(Self.visible))) AS hidden
            FROM customers
            WHERE (lower(email) = lower(\(email)) OR upper(tax_id) = upper(\(taxId)) OR external_ref = \(externalRef))
              AND id IS DISTINCT FROM \(excluding)
            ORDER BY created_at, id
            """
        ).rows.map(Self.candidate)
    }

    /// Possible duplicates of a lead: the same email, or a company with the same name
    /// (case-insensitively). Archived customers are left out: nothing new should join them.
    func lookalikes(email: String?, companyName: String?, in tx: Transaction) throws -> [DuplicateCandidate] {
        try tx.query(
            """
            SELECT id, number, name, email,
                   CASE WHEN email IS NOT NULL AND lower(email) = lower(\(email)) THEN 'email' ELSE 'company' END AS matched_on,
                   false AS hidden
            FROM customers
            WHERE status <> 'archived' AND \(RecordScope.current.filter(Self.visible))
              AND ((email IS NOT NULL AND lower(email) = lower(\(email)))
                   OR (kind = 'company' AND lower(name) = lower(\(companyName))))
            ORDER BY (email IS NOT NULL AND lower(email) = lower(\(email))) DESC, created_at, id
            LIMIT 20
            """
        ).rows.map(Self.candidate)
    }

    func list(_ query: CustomerQuery, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [Customer]
    {
        var conditions: [SQL] = []
        if let q = query.q {
            // The trigram index serves the search on the lower-cased search text.
            conditions.append(SQL.contains("search_text", q, in: "customers"))
        }
        if let status = query.status { conditions.append("status = \(status.rawValue)") }
        if let tier = query.tier { conditions.append("tier = \(tier.rawValue)") }
        if let owner = query.ownerId { conditions.append("owner_id = \(owner)") }
        if let tag = query.tag { conditions.append("tags @> ARRAY[\(tag)]::text[]") }
        if let ref = query.externalRef { conditions.append("external_ref = \(ref)") }
        if let email = query.email { conditions.append("lower(email) = lower(\(email))") }
        let keyset = query.sort == .name ? Keyset.lowerName : Keyset.createdAt
        let page = keyset.clause(
            conditions, visible: Self.visible, after: after, descending: query.descending, limit: limit)
        return try tx.query("SELECT \(Self.columns) FROM customers \(page)").rows.map(Self.customer)
    }

    // MARK: Contacts

    static let contactColumns: SQL =
        "id, customer_id, name, email, phone, role, is_primary, created_at, updated_at, version"

    func insertContact(customerID: UUID, _ input: ContactInput, in tx: Transaction) throws -> Contact {
        try Self.contact(
            tx.first(
                """
                INSERT INTO customer_contacts (customer_id, name, email, phone, role, is_primary)
                VALUES (\(customerID), \(input.name), \(input.email), \(input.phone), \(input.role), \(input.isPrimary ?? false))
                RETURNING \(Self.contactColumns)
                """)!)
    }

    func contact(id: UUID, customerID: UUID, lock: Bool = false, in tx: Transaction) throws -> Contact? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        return try tx.first(
            """
            SELECT \(Self.contactColumns) FROM customer_contacts WHERE id = \(id) AND customer_id = \(customerID)\(locking)
            """
        ).map(Self.contact)
    }

    func updateContact(_ contact: Contact, in tx: Transaction) throws -> Contact {
        try Self.contact(
            tx.first(
                """
                UPDATE customer_contacts SET name = \(contact.name), email = \(contact.email), phone = \(contact.phone),
                    role = \(contact.role), is_primary = \(contact.isPrimary), updated_at = now(), version = version + 1
                WHERE id = \(contact.id)
                RETURNING \(Self.contactColumns)
                """)!)
    }

    /// Clears the primary flag of the customer's other contacts (one primary per customer).
    func clearPrimary(customerID: UUID, except: UUID?, in tx: Transaction) throws -> [Contact] {
        try tx.query(
            """
            UPDATE customer_contacts SET is_primary = false, updated_at = now(), version = version + 1
            WHERE customer_id = \(customerID) AND is_primary AND id IS DISTINCT FROM \(except)
            RETURNING \(Self.contactColumns)
            """
        ).rows.map(Self.contact)
    }

    func deleteContact(id: UUID, in tx: Transaction) throws {
        try tx.execute("DELETE FROM customer_contacts WHERE id = \(id)")
    }

    func listContacts(customerID: UUID, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [Contact]
    {
        let page = Keyset.createdAt.clause(["customer_id = \(customerID)"], after: after, limit: limit)
        return try tx.query("SELECT \(Self.contactColumns) FROM customer_contacts \(page)").rows.map(Self.contact)
    }

    /// Moves a merged duplicate's contacts; they stop being primary when the survivor has one.
    func moveContacts(from duplicate: UUID, to survivor: UUID, in tx: Transaction) throws -> Int {
        try tx.execute(
            """
            UPDATE customer_contacts SET customer_id = \(survivor),
                is_primary = is_primary AND NOT EXISTS (SELECT 1 FROM customer_contacts WHERE customer_id = \(survivor) AND is_primary),
                updated_at = now(), version = version + 1
            WHERE customer_id = \(duplicate)
            """)
    }

    // MARK: Rows

    static func customer(_ row: Row) throws -> Customer {
        /// `names`: `addressColumnNames`, built once, so no name is made per row.
        func address(_ names: [String]) throws -> Address? {
            guard try row.decode(names[0], as: Bool.self) else { return nil }
            return Address(
                line1: try row.decodeIfPresent(names[1]), line2: try row.decodeIfPresent(names[2]),
                city: try row.decodeIfPresent(names[3]), region: try row.decodeIfPresent(names[4]),
                postalCode: try row.decodeIfPresent(names[5]), country: try row.decodeIfPresent(names[6]))
        }
        return Customer(
            id: try row.decode("id"), number: try row.decode("number"), name: try row.decode("name"),
            kind: try row.decodeEnum("kind", as: Customer.Kind.self), email: try row.decodeIfPresent("email"),
            phone: try row.decodeIfPresent("phone"), taxId: try row.decodeIfPresent("tax_id"),
            website: try row.decodeIfPresent("website"),
            billingAddress: try address(billingColumns), shippingAddress: try address(shippingColumns),
            tier: try row.decodeEnum("tier", as: CustomerTier.self),
            creditLimit: try row.decodeIfPresent("credit_limit"),
            paymentTermsDays: try row.decode("payment_terms_days"), currency: try row.decode("currency"),
            tags: try row.decode("tags"), ownerId: try row.decodeIfPresent("owner_id"),
            status: try row.decodeEnum("status", as: Customer.Status.self),
            externalRef: try row.decodeIfPresent("external_ref"),
            mergedIntoId: try row.decodeIfPresent("merged_into_id"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }

    static func contact(_ row: Row) throws -> Contact {
        Contact(
            id: try row.decode("id"), customerId: try row.decode("customer_id"), name: try row.decode("name"),
            email: try row.decodeIfPresent("email"), phone: try row.decodeIfPresent("phone"),
            role: try row.decodeIfPresent("role"),
            isPrimary: try row.decode("is_primary"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }

    static func candidate(_ row: Row) throws -> DuplicateCandidate {
        DuplicateCandidate(
            id: try row.decode("id"), number: try row.decode("number"), name: try row.decode("name"),
            email: try row.decodeIfPresent("email"), matchedOn: try row.decode("matched_on"),
            hidden: try row.decode("hidden"))
    }
}
