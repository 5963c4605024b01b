import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Refuses every HTTP redirect, so that a request's `Authorization` header never goes to
/// another address: the 3xx answer itself comes back, and the transport reports where it
/// pointed (`ClientError.redirected`). URLSession on Linux consults a session delegate about a
/// redirect only for tasks without a completion handler (swift-corelibs-foundation follows
/// redirects by itself for `data(for:)`), so requests go through `data(for:in:)`, which runs
/// such a task and collects its body here.
final class RedirectRefusal: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: `tasks` is guarded by `lock`; URLSession calls the delegate on its own queue.
    private let lock = NSLock()
    private var tasks: [Int: (body: Data, done: CheckedContinuation<(Data, URLResponse), any Error>)] = [:]

    /// Runs `request` on `session` (whose delegate is a `RedirectRefusal`) and returns its
    /// body and response; a redirect is the response.
    static func data(for request: URLRequest, in session: URLSession) async throws -> (Data, URLResponse) {
        guard let refusal = session.delegate as? RedirectRefusal else { return try await session.data(for: request) }
        let task = session.dataTask(with: request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                refusal.lock.withLock { refusal.tasks[task.taskIdentifier] = (Data(), continuation) }
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.withLock { tasks[dataTask.taskIdentifier]?.body.append(data) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let entry = lock.withLock({ tasks.removeValue(forKey: task.taskIdentifier) }) else { return }
        if let error {
            entry.done.resume(throwing: error)
        } else if let response = task.response {
            entry.done.resume(returning: (entry.body, response))
        } else {
            entry.done.resume(throwing: URLError(.badServerResponse))
        }
    }
}
