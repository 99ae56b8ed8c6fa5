import Core
import Customers
import FoundationEssentials
import Platform

/// A prospective customer not yet in the master (API.md "CRM").
public struct Lead: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public var name: String
    public var company: String?
    public var email: String?
    public var phone: String?
    public var source: Source
    public var status: Status
    public var ownerId: UUID?
    public var notes: String?
    public var convertedCustomerId: UUID?
    public var convertedOpportunityId: UUID?
    public var convertedAt: Date?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("name", name)
        try object.member("company", company)
        try object.member("email", email)
        try object.member("phone", phone)
        try object.member("source", source)
        try object.member("status", status)
        try object.member("owner_id", ownerId)
        try object.member("notes", notes)
        try object.member("converted_customer_id", convertedCustomerId)
        try object.member("converted_opportunity_id", convertedOpportunityId)
        try object.member("converted_at", convertedAt)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Source: String, Codable, Sendable, CaseIterable {
        case web, referral, event, coldCall = "cold_call", partner, other
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case new, contacted, qualified, unqualified, converted

        /// The moves `PATCH {"status"}` may make; `converted` only comes from `convert`.
        var next: Set<Status> {
            switch self {
            case .new: [.contacted]
            case .contacted: [.qualified, .unqualified]
            case .unqualified: [.contacted]
            case .qualified, .converted: []
            }
        }

        /// The states `convert` starts from.
        var convertible: Bool { self == .new || self == .contacted || self == .qualified }
    }

    static let writableFields: Set<String> = [
        "name", "company", "email", "phone", "source", "status", "owner_id", "notes",
    ]
    static let readOnlyFields: Set<String> = [
        "id", "number", "converted_customer_id", "converted_opportunity_id", "converted_at", "created_at", "updated_at",
        "version",
    ]
}

/// A lead's writable fields.
struct LeadInput: Decodable {
    var name: String
    var company: String?
    var email: String?
    var phone: String?
    var source: Lead.Source?
    var status: Lead.Status?
    var ownerId: UUID?
    /// On create only: with no `owner_id`, the owner is the team's next member in turn.
    var teamId: UUID?
    var notes: String?

    mutating func normalize() {
        name = name.trimmed()
        company = company.trimmedOrNil
        email = email.trimmedOrNil
        phone = phone.trimmedOrNil
        notes = notes.trimmedOrNil
    }

    func validate() throws {
        var errors: [FieldError] = []
        errors += PartyFields.problems(name: name, email: email, phone: phone)
        if let company, company.count > 200 {
            errors.append(FieldError(field: "company", message: "must be at most 200 characters"))
        }
        if let notes, notes.count > 10_000 {
            errors.append(FieldError(field: "notes", message: "must be at most 10000 characters"))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// `POST /leads/{id}/convert`.
struct ConvertRequest: Decodable {
    var customerId: UUID?
    var onDuplicate: OnDuplicate?
    var opportunity: OpportunitySeed?

    enum OnDuplicate: String, Decodable, CaseIterable { case fail, link, create }
}

/// The opportunity a conversion may open.
struct OpportunitySeed: Decodable {
    var name: String?
    var amount: Int64?
    var currency: String?
    var expectedCloseDate: LocalDate?
}

/// `{"lead", "customer", "opportunity"}`: everything a conversion touched.
struct Conversion: Encodable {
    let lead: Lead
    let customer: Customer
    let opportunity: Opportunity?
}

/// Something to do or that was done, about exactly one lead, opportunity or customer.
public struct Activity: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public var type: Kind
    public var subject: String
    public var body: String?
    public var dueAt: Date?
    public var completedAt: Date?
    public var ownerId: UUID?
    public var leadId: UUID?
    public var opportunityId: UUID?
    public var customerId: UUID?
    /// The service case it was logged on, if any; the first one is the case's first response.
    public var caseId: UUID?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("type", type)
        try object.member("subject", subject)
        try object.member("body", body)
        try object.member("due_at", dueAt)
        try object.member("completed_at", completedAt)
        try object.member("owner_id", ownerId)
        try object.member("lead_id", leadId)
        try object.member("opportunity_id", opportunityId)
        try object.member("customer_id", customerId)
        try object.member("case_id", caseId)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Kind: String, Codable, Sendable, CaseIterable { case call, meeting, email, task, note }

    static let writableFields: Set<String> = [
        "type", "subject", "body", "due_at", "owner_id", "lead_id", "opportunity_id", "customer_id", "case_id",
    ]
    static let readOnlyFields: Set<String> = ["id", "completed_at", "created_at", "updated_at", "version"]
}

/// An activity's writable fields.
struct ActivityInput: Decodable {
    var type: Activity.Kind
    var subject: String
    var body: String?
    var dueAt: Date?
    var ownerId: UUID?
    var leadId: UUID?
    var opportunityId: UUID?
    var customerId: UUID?
    /// On a case alone, the activity is about the case's customer.
    var caseId: UUID?

    mutating func normalize() {
        subject = subject.trimmed()
        body = body.trimmedOrNil
    }

    func validate() throws {
        var errors: [FieldError] = []
        if subject.isEmpty || subject.count > 200 {
            errors.append(FieldError(field: "subject", message: "must be 1 to 200 characters"))
        }
        if let body, body.count > 10_000 {
            errors.append(FieldError(field: "body", message: "must be at most 10000 characters"))
        }
        let links = [("lead_id", leadId), ("opportunity_id", opportunityId), ("customer_id", customerId)].filter {
            $0.1 != nil
        }
        if links.isEmpty && caseId == nil {
            errors.append(
                FieldError(
                    field: "customer_id",
                    message: "an activity needs one of lead_id, opportunity_id or customer_id (or a case_id)"))
        } else if links.count > 1 {
            for (field, _) in links {
                errors.append(
                    FieldError(field: field, message: "only one of lead_id, opportunity_id or customer_id may be set"))
            }
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}
