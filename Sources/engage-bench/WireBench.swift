import EngageCore
import EngageProtocol
import Foundation

/// Why push and pull bodies keep hand-written JSON: a pull page and a push batch written and
/// read by the shipped hand-written code next to the types generated from
/// sync-protocol/openapi.yaml with Foundation's JSONEncoder/JSONDecoder, on the same changes
/// in the same run. Prints the median of `rounds` in changes per second, and the ratio.
enum WireBench {
    static func run(changes count: Int, rounds: Int) throws {
        let changes = Array(Workload.remoteChanges(activities: count / 15 + 1).prefix(count))
        let page = PullResponse(changes: changes, cursor: Int64(changes.count), more: true, generation: "g")
        let push = PushRequest(changes: changes)
        let pageData = Data(page.jsonText.utf8), pushData = Data(push.jsonText.utf8)
        let generatedPage = try JSONDecoder().decode(Components.Schemas.PullResponse.self, from: pageData)
        let generatedPush = try JSONDecoder().decode(Components.Schemas.PushRequest.self, from: pushData)
        print("wire: \(changes.count) changes per body (pull page \(pageData.count) bytes, push \(pushData.count) bytes); median of \(rounds) rounds")

        func rate(_ body: () throws -> Void) rethrows -> Double {
            var samples: [Double] = []
            for _ in 0..<rounds {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                samples.append(Double(changes.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            }
            return samples.sorted()[samples.count / 2]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let rows: [(String, Double, Double)] = [
            ("pull page, written (server)", try rate { _ = page.jsonText }, try rate { _ = try encoder.encode(generatedPage) }),
            ("pull page, read (device)", try rate { _ = try PullResponse.decode(pageData) },
             try rate { _ = try JSONDecoder().decode(Components.Schemas.PullResponse.self, from: pageData) }),
            ("push, written (device)", try rate { _ = push.jsonText }, try rate { _ = try encoder.encode(generatedPush) }),
            ("push, read (server)", try rate { _ = try PushRequest.decode(pushData) },
             try rate { _ = try JSONDecoder().decode(Components.Schemas.PushRequest.self, from: pushData) }),
        ]
        print("| body | hand-written, changes/s | generated types + Foundation, changes/s | hand-written ÷ generated |")
        print("|---|---:|---:|---:|")
        for (name, hand, generated) in rows {
            print("| \(name) | \(Int(hand)) | \(Int(generated)) | \(String(format: "%.1f", hand / generated))× |")
        }
    }

}
