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
    /// lower-cased, is checked as a plain substring (so wildcards stay literal there too).
    @Test func contains_sendsTheLongestDigitRunToTheIndex_andChecksTheWholeText() {
        let numbered = SQL.contains("search_text", "Buyer123456@Customer43")
        #expect(numbered.text == "search_text LIKE $1 AND strpos(search_text, $2) > 0")
        #expect(numbered.binds.map(\.text) == ["%123456%", "buyer123456@customer43"])
        let short = SQL.contains("search_text", "buyer123@")
        #expect(short.text == "search_text LIKE $1")
        #expect(short.binds.map(\.text) == ["%buyer123@%"])
        // Digits alone: the LIKE already asks only for them.
        #expect(SQL.contains("search_text", "123456").text == "search_text LIKE $1")
        #expect(SQL.contains("search_text", "50%_off 2026").binds.map(\.text) == ["%2026%", "50%_off 2026"])
    }
}
