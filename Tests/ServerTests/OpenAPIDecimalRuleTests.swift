import Foundation
import Testing

/// openapi.yaml states the 3-decimal rule of quantities and percents in words: `multipleOf:
/// 0.001` makes common validators reject valid values such as 0.7 (floating point), while the
/// server parses the number's text exactly.
@Suite struct OpenAPIDecimalRuleTests {
    @Test func spec_hasNoMultipleOf_andStatesTheRuleOnQuantityAndPercent() throws {
        let spec = try String(
            contentsOf: OperationsTests.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        #expect(!spec.contains("multipleOf"))
        for schema in ["    Quantity:\n", "    Percent:\n"] {
            let start = try #require(spec.range(of: schema))
            let block = spec[start.upperBound...].split(separator: "\n").prefix { $0.hasPrefix("      ") }
            #expect(block.contains { $0.contains("description:") && $0.contains("3 decimal places") }, "\(schema)")
        }
    }
}
