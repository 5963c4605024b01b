import EngageModel
import EngageTestSupport
import Testing

@testable import EngageReports

/// A count stored before the model's bound cannot kill a report.
@Suite struct OverflowTests {
    @Test func participantTotalsSaturate() {
        var a = Activity.sample()
        a.participants = Int(Int64.max)
        var tally = Report.Tally()
        tally.add(a)
        tally.add(a)
        #expect(tally.participants == .max)
    }
}
