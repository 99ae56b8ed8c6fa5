/// A customer's price tier (API.md "Customer master"): the customer master stores it and
/// pricing reads it, so it lives below both.
public enum CustomerTier: String, Sendable, Codable, CaseIterable {
    case standard, silver, gold, platinum
}
