import EngageProtocol
import Foundation

/// libFuzzer's entry point: one input, the body of a push (or of a pull answer).
///
/// The properties, trapped on (libFuzzer then saves the input as `crash-…`):
/// - the readers never crash, overflow or recurse without bound on any bytes;
/// - `PushRequest.decode` (the hand-written reader, falling back to Foundation's decoder)
///   accepts nothing Foundation's `JSONDecoder` refuses, and reads what it accepts the same
///   (it refuses more: a key given twice in one object, which Foundation reads as the first).
func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    let shipped = try? PushRequest.decode(data)
    let foundation = try? JSONDecoder().decode(PushRequest.self, from: data)
    if let shipped, shipped != foundation {
        fatalError("PushRequest.decode read \(shipped) where Foundation read \(foundation.map { "\($0)" } ?? "nothing")")
    }
    _ = try? PullResponse.decode(data)
    return 0
}
