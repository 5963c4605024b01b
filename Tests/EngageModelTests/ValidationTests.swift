import EngageModel
import Foundation
import Testing

@Suite struct ValidationTests {
    @Test(arguments: ["PE", "pe", " cl ", "TZ", "BE", "XK", "xk"])
    func realCountryCodesAreAccepted(_ code: String) throws {
        #expect(try Country(code).code == code.trimmingCharacters(in: .whitespaces).uppercased())
    }

    @Test func kosovoHasItsNameAndRegion() throws {
        let kosovo = try Country("XK")
        #expect(kosovo.name == "Kosovo" && kosovo.region == "Southern Europe")
    }

    /// The rest of the user-assigned range (AA, QM–QZ, XA–XZ, ZZ) stays refused: a typo is caught.
    @Test(arguments: ["XX", "UK", "EU", "", "PER", "P1", "AA", "QZ", "XA", "ZZ"])
    func otherCountryCodesAreRefusedWithAnExample(_ code: String) {
        #expect(throws: ModelError.self) { try Country(code) }
        do { _ = try Country(code) } catch {
            #expect(error.field == "country" && error.message.contains("e.g. PE for Peru"))
        }
    }

    @Test func theCountryListIsComplete() {
        #expect(Country.allCodes.count == 249 + 1)  // ISO 3166-1 and XK
        #expect((try? Country("PE"))?.name == "Peru")
    }

    @Test(arguments: ["2026-02-28", "2024-02-29", "2000-02-29", "2026-12-31"])
    func validDaysParse(_ text: String) throws { #expect(try Day(text).description == text) }

    @Test(arguments: ["2026-02-29", "1900-02-29", "2026-13-01", "2026-1-5", "26-01-05", "2026/01/05", "2026-04-31", ""])
    func invalidDaysAreRefused(_ text: String) {
        #expect(throws: ModelError.self) { try Day(text, field: "startDate") }
    }

    @Test func vocabulariesListWhatIsAllowed() throws {
        #expect(try ActivityKind.parse("Capacity-Building") == .capacityBuilding)
        #expect(try ActivityStatus.parse("completed") == .completed)
        #expect(try ActivityStatus.parse("In-Progress") == .inProgress)
        #expect(try Sensitivity.parse("SENSITIVE") == .sensitive)
        do { _ = try ActivityKind.parse("seminar"); Issue.record("accepted") } catch {
            #expect(error.message.contains("training, capacity-building"))
        }
        #expect(throws: ModelError.self) { try ActivityStatus.parse("done") }
        #expect(throws: ModelError.self) { try Sensitivity.parse("secret") }
    }

    @Test(arguments: [1, 2, 3, 4]) func goalsOneToFourExist(_ n: Int) throws { #expect(try StrategicGoal.parse(n).rawValue == n) }
    @Test(arguments: [0, 5, -1]) func otherGoalsDoNot(_ n: Int) { #expect(throws: ModelError.self) { try StrategicGoal.parse(n) } }

    func activity() throws -> Activity {
        Activity(kind: .training, title: "Canine training", country: try Country("TZ"), post: "DAR-ES-SALAAM",
                 startDate: try Day("2026-02-10"), endDate: try Day("2026-02-20"))
    }

    @Test func aGoodActivityValidates() throws { try activity().validate() }

    @Test func endBeforeStartIsRefused() throws {
        var a = try activity()
        a.endDate = try Day("2026-02-01")
        #expect(throws: ModelError(field: "endDate", message: "endDate 2026-02-01 is before startDate 2026-02-10; the end may not come before the start")) {
            try a.validate()
        }
        a.endDate = a.startDate
        try a.validate()
    }

    @Test func negativeParticipantsEmptyTitleAndBadPostAreRefused() throws {
        var a = try activity()
        a.participants = -1
        #expect(throws: ModelError.self) { try a.validate() }
        a.participants = 0
        try a.validate()
        a.title = "  "
        #expect(throws: ModelError.self) { try a.validate() }
        a.title = "ok"
        a.post = "lima post"
        #expect(throws: ModelError.self) { try a.validate() }
    }

    @Test func unknownPartnersAreAcceptedWithAWarning() throws {
        let registry = PartnerRegistry([Partner(code: "SUNAT", name: "Superintendencia", country: try Country("PE"), agencyType: "customs")])
        #expect(registry.lookup("sunat")?.code == "SUNAT")
        #expect(registry.warnings(for: ["SUNAT", "Port of Paita Authority"]).count == 1)
        var a = try activity()
        a.partners = ["Port of Paita Authority"]
        try a.validate()
    }
}
