// ThousandsTests.swift — counts with a comma every three digits, whatever the locale.
import Testing
@testable import MnemoSupport

@Suite("thousands")
struct ThousandsTests {
    @Test("a comma every three digits; the sign in front")
    func grouping() {
        #expect(groupedThousands(1_234_567) == "1,234,567")
        #expect(groupedThousands(-999) == "-999")
        #expect(groupedThousands(0) == "0")
        #expect(groupedThousands(999) == "999")
        #expect(groupedThousands(1000) == "1,000")
        #expect(groupedThousands(1_003_854) == "1,003,854")
        #expect(groupedThousands(-1_000_000) == "-1,000,000")
        #expect(groupedThousands(Int.min) == "-9,223,372,036,854,775,808")
        #expect(groupedThousands(UInt64.max) == "18,446,744,073,709,551,615")
    }
}
