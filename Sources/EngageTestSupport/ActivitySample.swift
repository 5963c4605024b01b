import EngageModel
import Foundation

extension Activity {
    /// A valid activity for tests.
    public static func sample(_ title: String = "Canine training", id: UUID = UUID()) -> Activity {
        Activity(id: id, kind: .training, title: title, country: try! Country("TZ"), location: "Dar es Salaam",
                 post: "DAR-ES-SALAAM", partners: ["TRA"], goals: [.counterThreats], startDate: try! Day("2026-02-10"),
                 endDate: try! Day("2026-02-20"), status: .planned, participants: 12, notes: "", sensitivity: .unclassified)
    }
}
