import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error into the JSON error shape, counts and times requests, and logs one line
/// per request: method, route, status, duration — never a token or a body.
struct ObservabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    let now: @Sendable () -> Int64
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response(now: now())
        } catch let error as HTTPError {
            response = translate(error).response(now: now())
        } catch {
            context.logger.error("unexpected error", metadata: ["type": "\(type(of: error))"])
            response = APIError(.internalServerError, "internal", "the server could not complete the request; try again later")
                .response(now: now())
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let route = context.endpointPath ?? "unmatched"
        metrics.request(route: route, method: request.method.rawValue, status: response.status.code, seconds: seconds)
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(response.status.code)",
            "ms": "\(Int(seconds * 1000))",
        ])
        return response
    }

    private func translate(_ error: HTTPError) -> APIError {
        switch error.status {
        case .contentTooLarge:
            APIError(.contentTooLarge, "body_too_large", "the request body is over \(maxBodyBytes) bytes; send fewer changes per push")
        case .notFound: APIError(.notFound, "not_found", "no such endpoint; the API lives under /v1 (see sync-protocol/openapi.yaml)")
        case .methodNotAllowed: APIError(.methodNotAllowed, "method_not_allowed", "this endpoint does not take \(error.status)")
        default: APIError(error.status, "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
        }
    }
}
