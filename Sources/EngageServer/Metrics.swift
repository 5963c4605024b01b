import Prometheus

/// The service's metrics, in Prometheus text format at /metrics.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let changesAccepted: Counter
    let conflictsRaised: Counter
    let changesRejected: Counter
    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "engage", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered")
    }
    private static var latency: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "engage", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency")
    }

    public init() {
        let registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "engage", metricName: name, unitName: "total", helpText: help))
        }
        changesAccepted = counter("changes_accepted", "Field changes accepted by pushes (not counting retries)")
        conflictsRaised = counter("conflicts_raised", "Conflicts raised by concurrent edits")
        changesRejected = counter("changes_rejected", "Field changes rejected (validation, scope)")
    }

    func request(route: String, method: String, status: Int, seconds: Double) {
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeDurationHistogram(
            descriptor: Self.latency, labels: [("route", route)],
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10)]
        ).recordNanoseconds(Int64(seconds * 1e9))
    }

    func accepted(_ n: Int, conflicts: Int, rejected: Int) {
        changesAccepted.increment(by: Int64(n))
        conflictsRaised.increment(by: Int64(conflicts))
        changesRejected.increment(by: Int64(rejected))
    }

    public func text() -> String { registry.emitToString() }
}
