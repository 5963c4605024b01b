/// What can go wrong talking to the server, with what to do about it.
public enum ClientError: Error, Equatable, Sendable, CustomStringConvertible {
    case badServerURL(String)
    /// Plain `http` to another machine, without `--insecure`.
    case insecureServerURL(String)
    case unreachable(String, String)
    /// Nothing listens at the server's address (connection refused): not retried.
    case notListening(String)
    /// An enrolment whose answer never came (server, why): the hub may have redeemed the code.
    case enrolmentUnanswered(String, String)
    case notEnrolled
    /// The server answered with an error: its status, stable code and message.
    case server(status: Int, code: String, message: String)
    case badAnswer(String)
    /// The server answered a redirect (from, to), which the client never follows.
    case redirected(String, String)
    /// No TLS connection this device trusts could be made (server, why); `ca` names the agency
    /// CA the device was told to trust (`--ca-cert`; "the CA in FILE"), nil for the system's store.
    case untrustedServer(String, String, ca: String?)
    /// The file given with `--ca-cert` holds no certificate in PEM format (path, why).
    case badCACertificate(String, String)

    public var description: String {
        switch self {
        case .badServerURL(let url): "'\(url)' is not a server URL; use e.g. https://engage.example.org or http://127.0.0.1:8080"
        case .insecureServerURL(let url):
            "'\(url)' is plain http to another machine: the device's token would travel unencrypted; "
                + "use https://, or add --insecure if this network is trusted (a test lab)"
        case .unreachable(let url, let why):
            "cannot reach the server at \(url) (\(why)); nothing was lost — sync again when online"
        case .notListening(let url):
            "nothing answers at \(url) (connection refused): the server is not running there, or the address or port is wrong; "
                + "nothing was lost — check the address with your administrator, and sync again once the server runs"
        case .enrolmentUnanswered(let url, let why):
            "no answer to the enrolment from \(url) (\(why)); the code stays this device's for 10 minutes after the server took it — "
                + "run the same `engage enroll` again on this device when online"
        case .notEnrolled: "this device is not enrolled; run `engage enroll --server URL --code CODE` first"
        case .server(let status, let code, let message): "the server refused (\(status) \(code)): \(message)"
        case .redirected(let from, let to):
            "the server at \(from) redirected to \(to); Engage never follows a redirect (the device's token would go with it): "
                + "check the server URL (https://, host and port) with the administrator — nothing was sent there"
        case .untrustedServer(let url, let why, nil):
            "the server at \(url) did not show a certificate this device trusts (\(why)); nothing was sent. "
                + "If the agency runs its own certificate authority, give its CA certificate (PEM) once: "
                + "`engage enroll --server URL --code CODE --ca-cert agency-ca.pem` (a device already enrolled: "
                + "`engage sync --ca-cert agency-ca.pem`); otherwise check the server URL with the administrator"
        case .untrustedServer(let url, let why, let ca?):
            "the server at \(url) did not show a certificate for this host signed by \(ca) (\(why)); nothing was sent — "
                + "check with the administrator that this is the agency's CA certificate and that the server's certificate names "
                + "this host; a new CA is given with `engage sync --ca-cert FILE`"
        case .badCACertificate(let path, let why):
            "'\(path)' is not a CA certificate in PEM format (\(why)); give the agency's CA certificate file, "
                + "the one that begins with -----BEGIN CERTIFICATE-----"
        case .badAnswer(let why): "the server's answer was not understood (\(why)); nothing was lost — try again"
        }
    }

    public var code: String {
        if case .server(_, let code, _) = self { return code }
        return "client"
    }
}
