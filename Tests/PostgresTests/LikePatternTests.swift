import Postgres
import Testing

/// `SQL.likeContaining`: search text matches literally.
@Suite struct LikePatternTests {
    @Test func wildcardsAndTheEscapeCharacter_areLiteral() {
        #expect(SQL.likeContaining("abc") == "%abc%")
        #expect(SQL.likeContaining("50%_off") == #"%50\%\_off%"#)
        #expect(SQL.likeContaining(#"a\b"#) == #"%a\\b%"#)
        #expect(SQL.likeContaining(#"\"#) == #"%\\%"#)
    }

    /// `SQL.contains`: a run of four or more digits goes to the index alone, and the whole text,
    /// lower-cased, is checked as a plain substring (so wildcards stay literal there too); those
    /// rows are found first, by id, so the planner cannot trade the search for the sort index.
    @Test func contains_sendsTheLongestDigitRunToTheIndex_andChecksTheWholeText() {
        let numbered = SQL.contains("search_text", "Buyer123456@Customer43", in: "customers")
        #expect(
            numbered.text
                == "id = ANY(ARRAY(SELECT id FROM customers WHERE search_text LIKE $1 AND strpos(search_text, $2) > 0))"
        )
        #expect(numbered.binds.map(\.text) == ["%123456%", "buyer123456@customer43"])
        let short = SQL.contains("search_text", "buyer123@", in: "customers")
        #expect(short.text == "search_text LIKE $1")
        #expect(short.binds.map(\.text) == ["%buyer123@%"])
        // Digits alone: the LIKE already asks for all of the text.
        let digits = SQL.contains("search_text", "123456", in: "leads")
        #expect(digits.text == "id = ANY(ARRAY(SELECT id FROM leads WHERE search_text LIKE $1))")
        #expect(digits.binds.map(\.text) == ["%123456%"])
        #expect(
            SQL.contains("search_text", "50%_off 2026", in: "customers").binds.map(\.text) == [
                "%2026%", "50%_off 2026",
            ])
    }
}
