import EngageHubSQLite
import EngageModel
import EngageStorage
import Foundation
import Hummingbird
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
    router.add(middleware: ObservabilityMiddleware(metrics: metrics, now: environment.now, maxBodyBytes: configuration.maxBodyBytes))
    service.addRoutes(to: router)
    return Application(
        router: router,
        server: .http1(configuration: .init(
            additionalChannelHandlers: [SlowRequestHandler(window: .milliseconds(configuration.bodyRateWindowMs),
                                                           minBytes: configuration.minBodyBytesPerWindow)],
            idleTimeout: .milliseconds(configuration.idleTimeoutMs))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "engage"),
        onServerRunning: { channel in
            await onRunning(configuration.host, channel.localAddress?.port ?? configuration.port)
        },
        logger: logger)
}

/// Opens the server database and, on first start, loads the partner registry shipped in
/// `samples/partners.json`.
public func openHubStore(path: String, environment: ServerEnvironment = .system) throws -> HubStore {
    let store = try HubStore(path: path, physicalMs: environment.now)
    if try store.partnerCount() == 0 { try store.importPartners(try BundledData.partners()) }
    return store
}
