import Foundation

/// The address of an Engage server, vetted before a device enrols with it.
public enum ServerURL {
    /// Parses `text` as an `http` or `https` URL with a host. Plain `http` is refused except to
    /// the loopback interface (`localhost`, 127.0.0.0/8, `::1`) unless `insecure`: the answer
    /// carries the device's bearer token, and every later call sends it, which must travel
    /// over TLS (RFC 6750 §5.3). The choice made at enrolment holds for that enrolment.
    ///
    /// Throws `ClientError.badServerURL` or `ClientError.insecureServerURL`.
    public static func parse(_ text: String, insecure: Bool) throws(ClientError) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { throw .badServerURL(text) }
        if scheme == "http", !insecure, !isLoopback(host) { throw .insecureServerURL(text) }
        return url
    }

    /// Whether `host` names this machine's loopback interface.
    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
