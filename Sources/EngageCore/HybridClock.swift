/// The clock of one replica. It holds no time source: every call is given the replica's raw
/// physical time in milliseconds, so the caller owns I/O and tests own time.
///
/// `offsetMs` corrects the physical component by what the replica learned from the server,
/// so a device whose clock is wrong neither loses its edits nor dominates forever.
public struct HybridClock: Sendable, Equatable {
    public let node: NodeID
    public private(set) var last: HLC
    public var offsetMs: Int64

    public init(node: NodeID, last: HLC? = nil, offsetMs: Int64 = 0) {
        self.node = node
        self.last = last.map { HLC(wallMs: $0.wallMs, counter: $0.counter, node: node) }
            ?? HLC(wallMs: 0, counter: 0, node: node)
        self.offsetMs = offsetMs
    }

    /// The send (local event) rule: a reading later than every reading this clock has made or seen.
    public mutating func tick(physicalMs: Int64) -> HLC {
        let pt = min(physicalMs &+ offsetMs, HLC.maxWallMs)
        if pt > last.wallMs {
            last = HLC(wallMs: pt, counter: 0, node: node)
        } else {
            last = Self.bump(wall: last.wallMs, counter: last.counter, node: node)
        }
        return last
    }

    /// The receive rule: after observing `remote`, every later reading is greater than it.
    public mutating func observe(_ remote: HLC, physicalMs: Int64) {
        let pt = min(physicalMs &+ offsetMs, HLC.maxWallMs)
        let wall = max(last.wallMs, remote.wallMs, pt)
        if wall == last.wallMs && wall == remote.wallMs {
            last = Self.bump(wall: wall, counter: max(last.counter, remote.counter), node: node)
        } else if wall == last.wallMs {
            last = Self.bump(wall: wall, counter: last.counter, node: node)
        } else if wall == remote.wallMs {
            last = Self.bump(wall: wall, counter: remote.counter, node: node)
        } else {
            last = HLC(wallMs: wall, counter: 0, node: node)
        }
    }

    /// Learns the server's time from one round trip: the request left at `sentMs` and the answer,
    /// stamped `serverMs` by the server, arrived at `receivedMs` (all raw, uncorrected readings).
    ///
    /// A clock that ran ahead (a device set to 2099, then corrected) is pulled back to at most
    /// `maxAheadMs` past the server's time: the hub refuses stamps further ahead than that
    /// (`stamp_ahead`), so none of this node's accepted stamps lies beyond it, and readings made
    /// after the correction are accepted.
    public mutating func learnServerTime(serverMs: Int64, sentMs: Int64, receivedMs: Int64, maxAheadMs: Int64 = HLC.maxAheadMs) {
        offsetMs = serverMs - (sentMs + (receivedMs - sentMs) / 2)
        let bound = serverMs + maxAheadMs
        if last.wallMs > bound { last = HLC(wallMs: bound, counter: 0, node: node) }
    }

    /// The same clock under another node id (a device taking a new identity): later readings
    /// stay greater than every reading this clock made or saw.
    public func renamed(to node: NodeID) -> HybridClock {
        HybridClock(node: node, last: last, offsetMs: offsetMs)
    }

    /// Counter overflow advances the wall component by one millisecond, keeping readings
    /// monotonic (saturating at `HLC.maxWallMs`, which the hub's stamp bound keeps out of reach).
    private static func bump(wall: Int64, counter: UInt16, node: NodeID) -> HLC {
        if counter < UInt16.max { return HLC(wallMs: wall, counter: counter + 1, node: node) }
        return HLC(wallMs: min(wall + 1, HLC.maxWallMs), counter: wall < HLC.maxWallMs ? 0 : counter, node: node)
    }
}
