import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request body arrives slower than a floor: at least `minBytes` in
/// every `window` while a request is being read — Apache's `mod_reqtimeout` `MinRate`, the
/// defence against a sender that trickles a body to hold connections open ("slowloris").
/// A head that trickles is bounded by the idle timeout: until a head is complete the
/// connection counts as idle.
///
/// The floor is far below any real link (the defaults ask 1 KiB per 30 s, 34 B/s, where a
/// 64 kbit/s field link with 30 % loss carries about 2 KiB/s), so a transfer that keeps moving
/// is never cut.
final class SlowRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let window: TimeAmount
    let minBytes: Int
    private var reading = false
    private var bytesInWindow = 0
    private var check: Scheduled<Void>?

    init(window: TimeAmount, minBytes: Int) {
        self.window = window
        self.minBytes = minBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            reading = true
            bytesInWindow = 0
            schedule(context)
        case .body(let buffer):
            bytesInWindow += buffer.readableBytes
        case .end:
            reading = false
            check?.cancel()
            check = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    private func schedule(_ context: ChannelHandlerContext) {
        check?.cancel()
        check = context.eventLoop.assumeIsolated().scheduleTask(in: window) { [self] in
            check = nil
            guard reading else { return }
            if bytesInWindow < minBytes {
                context.close(promise: nil)
            } else {
                bytesInWindow = 0
                schedule(context)
            }
        }
    }
}
