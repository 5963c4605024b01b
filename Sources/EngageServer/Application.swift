import EngageHubSQLite
import EngageModel
import EngageStorage
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging

/// Builds the service: the same builder runs in production, in router tests and live tests.
/// `onRunning` is told the bound address once the server listens (port 0 picks a free one).
public func buildApplication(
    configuration: ServerConfiguration, store: any HubStorage, environment: ServerEnvironment = .system,
    metrics: ServerMetrics = ServerMetrics(), logger: Logger = Logger(label: "engage-server"),
    recorder: SessionRecorder? = nil,
    onRunning: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
) -> some ApplicationProtocol {
    let service = Service(store: store, configuration: configuration, environment: environment, metrics: metrics, logger: logger)
    let router = Router(context: BasicRequestContext.self)
    // Outermost: transcripts and handlers see plain JSON.
    router.add(middleware: CompressionMiddleware(maxBodyBytes: configuration.maxBodyBytes, now: environment.now))
    if let recorder {
        router.add(middleware: RecordingMiddleware(recorder: recorder, store: store, maxBodyBytes: configuration.maxBodyBytes))
    }
    router.add(
        middleware: ObservabilityMiddleware(metrics: metrics, now: environment.now, maxBodyBytes: configuration.maxBodyBytes))
    service.addRoutes(to: router)
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [
            SlowRequestHandler(
                window: .milliseconds(configuration.bodyRateWindowMs),
                minBytes: configuration.minBodyBytesPerWindow)
        ],
        idleTimeout: .milliseconds(configuration.idleTimeoutMs))
    // TLS, when configured, wraps each connection before HTTP (HummingbirdTLS over swift-nio-ssl).
    let server: HTTPServerBuilder =
        if let tls = configuration.tls {
            HTTPServerBuilder { responder in
                try TLSChannel(HTTP1Channel(responder: responder, configuration: http1), tlsConfiguration: tls)
            }
        } else {
            .http1(configuration: http1)
        }
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "engage"),
        onServerRunning: { channel in
            await onRunning(configuration.host, channel.localAddress?.port ?? configuration.port)
        },
        logger: logger)
}

/// Opens the server database and, on first start, loads the partner registry shipped in
/// `samples/partners.json`.
/// The file (and its WAL) is readable by its owner only, however an earlier version left it.
public func openHubStore(path: String, environment: ServerEnvironment = .system) throws -> HubStore {
    let store = try HubStore(path: path, physicalMs: environment.now)
    if try store.partnerCount() == 0 { try store.importPartners(try BundledData.partners()) }
    return store
}
