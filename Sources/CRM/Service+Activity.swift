import Core
import FoundationEssentials
import Platform
import Postgres

extension CRMService {
    func createActivity(_ input: ActivityInput, actor: Principal) throws -> Activity {
        var input = input
        input.normalize()
        try input.validate()
        if input.ownerId == nil { input.ownerId = actor.userID }
        let given = input
        return try pool.transaction { tx in
            var input = given
            try checkLinks(input, in: tx)
            if let caseID = input.caseId, let customer = try caseCustomer(caseID, in: tx),
                input.leadId == nil && input.opportunityId == nil && input.customerId == nil
            {
                input.customerId = customer
            }
            try checkUser(input.ownerId, field: "owner_id")
            return try events.recorded(
                "activity.created", try store.insertActivity(input, in: tx), actor: actor, in: tx)
        }
    }

    func activity(_ id: UUID) throws -> Activity {
        try pool.record("activity") { tx in try store.activity(id: id, in: tx) }
    }

    func listActivities(_ filter: ActivityFilter, page: PageRequest) throws -> Page<Activity> {
        try pool.page(page) { tx in try store.listActivities(filter, after: page.after, limit: page.limit, in: tx) }
    }

    func updateActivity(_ id: UUID, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Activity
    {
        try pool.transaction { tx in
            guard let current = try store.activity(id: id, lock: true, in: tx) else {
                throw AppError.notFound("activity")
            }
            try ifMatch(current.version)
            let edit = try RecordPatch<ActivityInput>(patch, to: current, writable: Activity.writableFields)
            let input = edit.input
            var changed = current
            changed.type = input.type
            changed.subject = input.subject
            changed.body = input.body
            changed.dueAt = input.dueAt
            changed.ownerId = input.ownerId
            changed.leadId = input.leadId
            changed.opportunityId = input.opportunityId
            changed.customerId = input.customerId
            changed.caseId = input.caseId
            if try edit.leavesUnchanged(changed) { return current }
            if changed.leadId != current.leadId || changed.opportunityId != current.opportunityId
                || changed.customerId != current.customerId || changed.caseId != current.caseId
            {
                try checkLinks(input, in: tx)
            }
            if changed.ownerId != current.ownerId { try checkUser(changed.ownerId, field: "owner_id") }
            return try events.recorded(
                "activity.updated", try store.updateActivity(changed, in: tx), actor: actor, in: tx)
        }
    }

    /// Marks the activity done now; completing it again is a 409.
    func completeActivity(_ id: UUID, ifMatch: (Int) throws -> Void, actor: Principal) throws -> Activity {
        try pool.transaction { tx in
            guard var activity = try store.activity(id: id, lock: true, in: tx) else {
                throw AppError.notFound("activity")
            }
            try ifMatch(activity.version)
            guard activity.completedAt == nil else {
                throw AppError.invalidTransition(
                    "the activity is already completed", from: "completed", to: "completed")
            }
            activity.completedAt = Date()
            return try events.recorded(
                "activity.completed", try store.updateActivity(activity, in: tx), actor: actor, in: tx)
        }
    }

    func deleteActivity(_ id: UUID, ifMatch: (Int) throws -> Void, actor: Principal) throws {
        try pool.transaction { tx in
            guard let current = try store.activity(id: id, lock: true, in: tx) else {
                throw AppError.notFound("activity")
            }
            try ifMatch(current.version)
            try store.deleteActivity(id: id, in: tx)
            try events.append(
                "activity.deleted", resourceType: "activity", resourceID: id, resource: current, actor: actor, in: tx)
        }
    }

    /// The one record an activity is about must exist (an id that names nothing is a 422).
    /// The customer of the case `id` names; 422 naming `case_id` when it names none.
    private func caseCustomer(_ id: UUID, in tx: Transaction) throws -> UUID? {
        guard let caseLookup, let customer = try caseLookup(id, tx) else {
            throw AppError.validation([FieldError(field: "case_id", message: "names no case")])
        }
        return customer
    }

    private func checkLinks(_ input: ActivityInput, in tx: Transaction) throws {
        if let id = input.caseId { _ = try caseCustomer(id, in: tx) }
        if let id = input.leadId, try store.lead(.id(id), in: tx) == nil {
            throw AppError.validation([FieldError(field: "lead_id", message: "names no lead")])
        }
        if let id = input.opportunityId, try opportunityStore.opportunity(.id(id), in: tx) == nil {
            throw AppError.validation([FieldError(field: "opportunity_id", message: "names no opportunity")])
        }
        if let id = input.customerId, try customers.customer(id: id, in: tx) == nil {
            throw AppError.validation([FieldError(field: "customer_id", message: "names no customer")])
        }
    }
}

/// Listed in creation order.
extension Activity: CreatedRecord {}

/// Patched through RecordPatch.
extension ActivityInput: RecordInput {}
