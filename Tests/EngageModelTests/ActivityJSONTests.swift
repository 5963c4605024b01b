import EngageModel
import Foundation
import Testing

@Suite struct ActivityJSONTests {
    @Test func jsonHasTheStableKeysAndRoundTrips() throws {
        let a = Activity(kind: .agreement, title: "CMAA", country: try Country("CL"), post: "SANTIAGO", partners: ["SNA"],
                         goals: [.sharedStandards, .informationSharing], startDate: try Day("2025-06-12"))
        let data = try JSONEncoder().encode(a)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(Set(object.keys) == ["id", "kind", "title", "country", "otherCountries", "location", "post", "partners", "goals", "startDate",
                                     "endDate", "datePrecision", "status", "participants", "amount", "notes", "sensitivity", "deleted"])
        #expect(object["datePrecision"] as? String == "day" && object["amount"] is NSNull && object["otherCountries"] as? [String] == [])
        #expect(object["goals"] as? [Int] == [3, 4])
        #expect(object["startDate"] as? String == "2025-06-12")
        #expect(object["location"] is NSNull)
        #expect(try JSONDecoder().decode(Activity.self, from: data) == a)
    }

    @Test func decodingNamesTheBadField() {
        let json = #"{"kind":"training","title":"t","country":"ZZ","startDate":"2026-01-01"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Activity.self, from: Data(json.utf8)) }
    }

    @Test func theSamplesAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let activities = try JSONDecoder().decode([Activity].self, from: Data(contentsOf: root.appendingPathComponent("samples/activities.json")))
        #expect(activities.count >= 40)
        for a in activities { try a.validate() }
        #expect(Set(activities.map(\.id)).count == activities.count)
        let partners = try JSONDecoder().decode([Partner].self, from: Data(contentsOf: root.appendingPathComponent("samples/partners.json")))
        #expect(partners.count >= 30 && Set(partners.map(\.country)).count >= 15)
    }
}
