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
}
