import Core
import Customers
import FoundationEssentials
import Platform
import Postgres

/// Leads and their conversion, opportunities and the pipeline, activities.
public final class CRMService: @unchecked Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let users: UserService
    let customers: CustomerService
    let store = CRMStore()
    let opportunityStore = OpportunityStore()
    /// Set while wiring when the Sales module is present; `win` with `create_order` needs it.
    private(set) var orderOpener: OrderOpener?
    /// Set while wiring when the Catalog module is present: which of the given item ids exist.
    private(set) var itemLookup: (@Sendable ([UUID], Transaction) throws -> Set<UUID>)?
    /// Set while wiring when the Service module is present: the customer of a visible case,
    /// or nil when the id names none.
    private(set) var caseLookup: (@Sendable (UUID, Transaction) throws -> UUID?)?

    /// Also registers CRM's customer columns with the customer master, so merges move them.
    public init(pool: ConnectionPool, events: EventLog, users: UserService, customers: CustomerService) {
        self.pool = pool
        self.events = events
        self.users = users
        self.customers = customers
        let store = self.store, opportunityStore = self.opportunityStore
        customers.registerReference(
            CustomerReference(label: "leads", column: "leads.converted_customer_id") { from, to, tx in
                try store.moveLeads(from: from, to: to, in: tx)
            })
        customers.registerReference(
            CustomerReference(label: "opportunities", column: "opportunities.customer_id") { from, to, tx in
                try opportunityStore.moveOpportunities(from: from, to: to, in: tx)
            })
        customers.registerReference(
            CustomerReference(label: "activities", column: "activities.customer_id") { from, to, tx in
                try store.moveActivities(from: from, to: to, in: tx)
            })
    }

    /// Lets `win {"create_order": true}` open a sales order. Call only while wiring.
    public func setOrderOpener(_ opener: @escaping OrderOpener) { orderOpener = opener }

    /// Lets activities be logged on service cases (`case_id`). Call only while wiring.
    public func setCaseLookup(_ lookup: @escaping @Sendable (UUID, Transaction) throws -> UUID?) {
        caseLookup = lookup
    }

    /// Lets opportunity lines check their `item_id`s. Call only while wiring.
    public func setItemLookup(_ lookup: @escaping @Sendable ([UUID], Transaction) throws -> Set<UUID>) {
        itemLookup = lookup
    }

    // MARK: Leads

    func createLead(_ input: LeadInput, actor: Principal) throws -> Lead {
        var input = input
        input.normalize()
        try input.validate()
        if input.status == .converted {
            throw AppError.validation([
                FieldError(field: "status", message: "is set to converted only by POST /leads/{id}/convert")
            ])
        }
        return try pool.transaction { tx in
            var input = input
            input.ownerId = try users.teams.owner(requested: input.ownerId, team: input.teamId, actor: actor, in: tx)
            return try events.recorded("lead.created", try store.insertLead(input, in: tx), actor: actor, in: tx)
        }
    }

    func lead(_ key: DocumentKey) throws -> Lead {
        try pool.record("lead") { tx in try store.lead(key, in: tx) }
    }

    func listLeads(
        status: Lead.Status?, source: Lead.Source?, ownerID: UUID?, q: String?, descending: Bool,
        page: PageRequest
    ) throws -> Page<Lead> {
        try pool.page(page) { tx in
            try store.listLeads(
                status: status, source: source, ownerID: ownerID, q: q, descending: descending,
                after: page.after, limit: page.limit, in: tx)
        }
    }

    /// A merge patch; `status` moves only along the lead's state machine, and a converted lead
    /// never changes.
    func updateLead(_ key: DocumentKey, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Lead
    {
        try pool.transaction { tx in
            guard let current = try store.lead(key, lock: true, in: tx) else { throw AppError.notFound("lead") }
            try ifMatch(current.version)
            if current.status == .converted {
                throw AppError.invalidTransition(
                    "\(current.number) is converted; a converted lead no longer changes",
                    from: current.status.rawValue, to: nil)
            }
            let edit = try RecordPatch<LeadInput>(patch, to: current, writable: Lead.writableFields)
            let input = edit.input
            var changed = current
            changed.name = input.name
            changed.company = input.company
            changed.email = input.email
            changed.phone = input.phone
            changed.source = input.source ?? .other
            changed.ownerId = input.ownerId
            changed.notes = input.notes
            let status = input.status ?? current.status
            if status != current.status {
                guard current.status.next.contains(status) else {
                    let hint = status == .converted ? " (use POST /leads/{id}/convert)" : ""
                    throw AppError.invalidTransition(
                        "a lead cannot move from \(current.status.rawValue) to \(status.rawValue)\(hint)",
                        from: current.status.rawValue, to: status.rawValue)
                }
                changed.status = status
            }
            if try edit.leavesUnchanged(changed) { return current }
            if changed.ownerId != current.ownerId {
                try checkUser(changed.ownerId, field: "owner_id")
                try actor.scope.checkOwner(changed.ownerId, in: tx)
            }
            return try events.recorded("lead.updated", try store.updateLead(changed, in: tx), actor: actor, in: tx)
        }
    }

    /// Deletes a lead that was never converted, with its activities.
    func deleteLead(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws {
        try pool.transaction { tx in
            guard let current = try store.lead(key, lock: true, in: tx) else { throw AppError.notFound("lead") }
            try ifMatch(current.version)
            if current.status == .converted {
                throw AppError.invalidTransition(
                    "\(current.number) is converted and stays as the record of where its customer came from",
                    from: current.status.rawValue, to: nil)
            }
            for activity in try store.listActivities(
                ActivityFilter(leadId: current.id), after: nil, limit: 10_000, in: tx)
            {
                try store.deleteActivity(id: activity.id, in: tx)
                try events.append(
                    "activity.deleted", resourceType: "activity", resourceID: activity.id, resource: activity,
                    actor: actor, in: tx)
            }
            try store.deleteLead(id: current.id, in: tx)
            try events.append(
                "lead.deleted", resourceType: "lead", resourceID: current.id, resource: current, actor: actor, in: tx)
        }
    }

    /// Hands the lead to another owner: an admin, or a team manager within their team.
    func reassignLead(_ key: DocumentKey, to owner: UUID, actor: Principal) throws -> Lead {
        try pool.transaction { tx in
            guard var lead = try store.lead(key, lock: true, in: tx) else { throw AppError.notFound("lead") }
            try users.teams.checkReassign(from: lead.ownerId, to: owner, actor: actor, in: tx)
            guard lead.ownerId != owner else { return lead }
            lead.ownerId = owner
            return try events.recorded("lead.reassigned", try store.updateLead(lead, in: tx), actor: actor, in: tx)
        }
    }

    // MARK: Conversion

    /// Turns a lead into a customer (found, linked or created) and optionally an opportunity,
    /// all in one transaction. The lead row is locked first, so of two concurrent conversions
    /// the second sees a converted lead and gets 409 `invalid_transition`.
    func convert(_ key: DocumentKey, _ request: ConvertRequest, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Conversion
    {
        do {
            return try pool.transaction { tx in try convert(key, request, ifMatch: ifMatch, actor: actor, in: tx) }
        } catch let error as PostgresError
            where error.state == .uniqueViolation && (error.constraint ?? "").hasPrefix("customers_")
        {
            // Another request created a customer with this lead's email between our check and insert.
            throw AppError(
                .duplicateCustomer,
                "a customer with this lead's email was created at the same moment; convert again to link to it",
                errors: [FieldError(field: "email", message: "is already used by another customer")])
        }
    }

    private func convert(
        _ key: DocumentKey, _ request: ConvertRequest, ifMatch: (Int) throws -> Void, actor: Principal,
        in tx: Transaction
    ) throws -> Conversion {
        guard var lead = try store.lead(key, lock: true, in: tx) else { throw AppError.notFound("lead") }
        try ifMatch(lead.version)
        guard lead.status.convertible else {
            throw AppError.invalidTransition(
                "a lead cannot be converted from \(lead.status.rawValue)",
                from: lead.status.rawValue, to: Lead.Status.converted.rawValue)
        }
        let fromLead = try customers.prepare(
            CustomerInput(
                name: lead.company ?? lead.name, kind: lead.company == nil ? .person : .company, email: lead.email,
                phone: lead.phone,
                ownerId: lead.ownerId))
        let customer: Customer
        if let id = request.customerId {
            guard let existing = try customers.customer(id: id, in: tx) else {
                throw AppError.validation([FieldError(field: "customer_id", message: "names no customer")])
            }
            guard existing.status != .archived else {
                throw AppError.validation([FieldError(field: "customer_id", message: "names an archived customer")])
            }
            customer = try customers.fillEmptyFields(of: id, from: fromLead, actor: actor, in: tx)
        } else {
            let candidates = try customers.lookalikes(email: lead.email, companyName: lead.company, in: tx)
            switch request.onDuplicate ?? .fail {
            case .fail where !candidates.isEmpty:
                throw CustomerService.duplicate(candidates)
            case .link where !candidates.isEmpty:
                // Candidates come email matches first: an email match beats a name match.
                customer = try customers.fillEmptyFields(of: candidates[0].id, from: fromLead, actor: actor, in: tx)
            case .create where candidates.contains { $0.matchedOn == "email" }:
                // Emails are unique in the master, so `create` cannot make a second one.
                throw CustomerService.duplicate(candidates.filter { $0.matchedOn == "email" })
            default:
                customer = try customers.create(fromLead, actor: actor, in: tx)
                if lead.company != nil {
                    // The person behind a company lead becomes the new customer's primary contact.
                    _ = try customers.addContact(
                        to: customer.id, name: lead.name, email: lead.email, phone: lead.phone,
                        primary: true, actor: actor, in: tx)
                }
            }
        }
        var opportunity: Opportunity?
        if let seed = request.opportunity {
            var input = OpportunityInput(
                customerId: customer.id, name: seed.name ?? "\(customer.name): \(lead.number)",
                amount: seed.amount, currency: seed.currency, expectedCloseDate: seed.expectedCloseDate,
                ownerId: lead.ownerId ?? actor.userID)
            input.normalize()
            do {
                try input.validate()
            } catch var error as AppError {
                error.errors = error.errors.map { FieldError(field: "opportunity.\($0.field)", message: $0.message) }
                throw error
            }
            opportunity = try createOpportunity(input, customer: customer, actor: actor, in: tx)
        }
        lead.status = .converted
        lead.convertedCustomerId = customer.id
        lead.convertedOpportunityId = opportunity?.id
        lead.convertedAt = Date()
        lead = try store.updateLead(lead, in: tx)
        let conversion = Conversion(lead: lead, customer: customer, opportunity: opportunity)
        try events.append(
            "lead.converted", resourceType: "lead", resourceID: lead.id, resource: conversion, actor: actor, in: tx)
        return conversion
    }

    // MARK: Rules

    func checkUser(_ id: UUID?, field: String) throws {
        guard let id else { return }
        if try !users.userExists(id) { throw AppError.validation([FieldError(field: field, message: "names no user")]) }
    }

}

extension ProblemCode {
    /// `win {"create_order": true}` while no module can open orders.
    public static let orderCreationUnavailable = ProblemCode("order_creation_unavailable", .unprocessable)
}

/// Listed in creation order.
extension Lead: CreatedRecord {}

/// Patched through RecordPatch.
extension LeadInput: RecordInput {}
