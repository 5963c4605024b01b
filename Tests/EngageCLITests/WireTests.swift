import EngageTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The wire (issue 22, kinds 8 and 10): the hub serves TLS itself and refuses plain HTTP
/// beyond loopback unless told; the client never follows a redirect with its token; /metrics
/// and the database password are kept from whoever is not meant to see them.
@Suite(.serialized) struct WireTests {
    let dir: TemporaryDirectory
    var hub: String { dir.path("hub.sqlite") }

    init() throws { dir = try TemporaryDirectory() }

    func run(_ name: String, _ args: [String], environment: [String: String] = [:]) throws -> Executables.Result {
        let r = try Executables.run(name, args, environment: environment)
        #expect(r.status == 0, "\(name) \(args.joined(separator: " ")): \(r.stderr)")
        return r
    }

    func code(post: String = "LIMA") throws -> String {
        let r = try run(
            "engage-server", ["enroll", "--db", hub, "--name", "tablet", "--post", post, "--role", "advisor", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
        return try #require(object?["code"])
    }

    func openssl(_ args: [String]) throws {
        let r = try Executables.run(executable: URL(fileURLWithPath: "/usr/bin/openssl"), args)
        #expect(r.status == 0, "openssl \(args.joined(separator: " ")): \(r.stderr)")
    }

    /// A test CA and a certificate for 127.0.0.1 signed by it: (ca.pem, server.pem, server.key).
    func certificates() throws -> (ca: String, cert: String, key: String) {
        let ca = dir.path("ca.pem")
        let caKey = dir.path("ca.key")
        let cert = dir.path("server.pem")
        let key = dir.path("server.key")
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + ec + ["-keyout", caKey, "-out", ca, "-days", "2", "-subj", "/CN=Engage Test CA"])
        try openssl(["req"] + ec + ["-keyout", key, "-out", dir.path("server.csr"), "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n".write(
            toFile: dir.path("ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", dir.path("server.csr"), "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert,
            "-days", "2", "-extfile", dir.path("ext"),
        ])
        return (ca, cert, key)
    }

    /// GET `url` with optional headers; the status.
    func status(_ url: String, headers: [String: String] = [:]) async throws -> Int {
        var request = URLRequest(url: URL(string: url)!)
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    // MARK: - TLS

    @Test func theHubServesTLS() throws {
        defer { dir.remove() }
        let (ca, cert, key) = try certificates()
        let server = try ServerProcess(database: hub, arguments: ["--tls-cert", cert, "--tls-key", key])
        defer { server.stop() }
        #expect(server.url.hasPrefix("https://127.0.0.1:"))
        let curl = URL(fileURLWithPath: "/usr/bin/curl")
        let health = try Executables.run(executable: curl, ["-sS", "--cacert", ca, server.url + "/healthz"])
        #expect(health.status == 0 && health.stdout.contains("ok"), "\(health.stderr)")
        let plain = try Executables.run(
            executable: curl, ["-sS", server.url.replacingOccurrences(of: "https:", with: "http:") + "/healthz"])
        #expect(!plain.stdout.contains("ok"))
        // A device that does not trust the certificate's CA refuses to enrol: nothing is sent.
        let refused = try Executables.run(
            "engage", ["enroll", "--server", server.url, "--code", try code(), "--db", dir.path("other.sqlite")])
        #expect(refused.status != 0)
    }

    /// A CA of its own that signed nothing the hub shows: (ca.pem).
    func anotherCA() throws -> String {
        let ca = dir.path("other-ca.pem")
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            dir.path("other-ca.key"),
            "-out", ca, "-days", "2", "-subj", "/CN=Another CA",
        ])
        return ca
    }

    /// The agency CA a device database keeps (PEM), read with Python's sqlite3.
    func rememberedCA(_ device: String) throws -> String {
        let read =
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT agency_ca FROM sync_state').fetchone()[0] or '', end='')"
        return try Executables.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", read, device]).stdout
    }

    /// A device trusts the agency's own CA, given once at enrolment and remembered: the enrolment
    /// and every later sync go over TLS through the second transport (async-http-client), since
    /// URLSession on Linux trusts only the system's store. Without the CA, or with another one,
    /// nothing is sent: the one code the administrator made is still unused for the last try.
    @Test func aDeviceTrustsTheAgencysCA() throws {
        defer { dir.remove() }
        let (ca, cert, key) = try certificates()
        let server = try ServerProcess(database: hub, arguments: ["--tls-cert", cert, "--tls-key", key])
        defer { server.stop() }
        let device = dir.path("device.sqlite")
        let code = try code()

        // Without the CA: refused, and the message says how to trust it.
        let untrusted = try Executables.run("engage", ["enroll", "--server", server.url, "--code", code, "--db", device])
        #expect(untrusted.status != 0)
        #expect(untrusted.stderr.contains("--ca-cert") && untrusted.stderr.contains("certificate"), "\(untrusted.stderr)")
        // Another CA: refused too, naming the file it was given.
        let other = try anotherCA()
        let wrong = try Executables.run(
            "engage", ["enroll", "--server", server.url, "--code", code, "--ca-cert", other, "--db", device])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("certificate") && wrong.stderr.contains(other), "\(wrong.stderr)")
        // A file that is not a PEM certificate is refused before anything is sent.
        let notPEM = dir.path("not-a-cert.pem")
        try "hello".write(toFile: notPEM, atomically: true, encoding: .utf8)
        let bad = try Executables.run(
            "engage", ["enroll", "--server", server.url, "--code", code, "--ca-cert", notPEM, "--db", device])
        #expect(bad.status != 0 && bad.stderr.contains("PEM"), "\(bad.stderr)")

        // With the agency's CA: enrolled with the same code, so the refused tries sent nothing.
        _ = try run("engage", ["enroll", "--server", server.url, "--code", code, "--ca-cert", ca, "--db", device])
        // Later commands use the remembered CA without the flag; pushes large enough to go
        // gzipped, and answers asked gzipped as over a real link.
        for n in 1...6 {
            _ = try run(
                "engage",
                [
                    "log", "--kind", "training", "--title", "Canine course \(n)", "--notes", String(repeating: "x", count: 300),
                    "--country", "TZ", "--start", "2026-03-02", "--post", "LIMA", "--db", device,
                ])
        }
        let sync = try run("engage", ["sync", "--json", "--db", device], environment: ["ENGAGE_GZIP": "always"])
        let summary = try JSONSerialization.jsonObject(with: Data(sync.stdout.utf8)) as? [String: Any]
        #expect((summary?["pushed"] as? Int ?? 0) >= 6 && (summary?["rejected"] as? [Any])?.isEmpty == true, "\(sync.stdout)")
        let list = try run("engage", ["list", "--json", "--db", device]).stdout
        let id = try #require(
            (try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]])?.first?["id"] as? String)
        let history = try run("engage", ["history", id, "--json", "--db", device], environment: ["ENGAGE_GZIP": "always"])
        #expect(history.stdout.contains("Canine course"), "\(history.stdout)")
        // A --ca-cert on sync overrides the remembered one for that sync; a failed one is not remembered.
        let overridden = try Executables.run("engage", ["sync", "--ca-cert", other, "--db", device])
        #expect(overridden.status != 0 && overridden.stderr.contains(other), "\(overridden.stderr)")
        _ = try run("engage", ["sync", "--db", device])
        #expect(try rememberedCA(device) == String(contentsOfFile: ca, encoding: .utf8))
        // A change of CA: a bundle of the new and the old, given to a sync that goes through, is kept.
        let bundle = dir.path("bundle.pem")
        try (String(contentsOfFile: other, encoding: .utf8) + String(contentsOfFile: ca, encoding: .utf8))
            .write(toFile: bundle, atomically: true, encoding: .utf8)
        _ = try run("engage", ["sync", "--ca-cert", bundle, "--db", device])
        #expect(try rememberedCA(device) == String(contentsOfFile: bundle, encoding: .utf8))
        _ = try run("engage", ["sync", "--db", device])
        // The CA is for https only.
        let plain = try Executables.run(
            "engage",
            [
                "enroll", "--server", "http://127.0.0.1:1", "--code", code, "--ca-cert", ca,
                "--db", dir.path("plain.sqlite"),
            ])
        #expect(plain.status != 0 && plain.stderr.contains("https"), "\(plain.stderr)")
    }

    @Test func plainHTTPBeyondLoopbackIsRefusedUnlessAsked() throws {
        defer { dir.remove() }
        let refused = try Executables.run("engage-server", ["serve", "--db", hub, "--host", "0.0.0.0", "--port", "0"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--tls-cert") && refused.stderr.contains("--plain-http"), "\(refused.stderr)")
        let help = try run("engage-server", ["serve", "--help"]).stdout
        #expect(!help.contains("0.0.0.0"), "\(help)")
        let server = try ServerProcess(database: hub, arguments: ["--host", "0.0.0.0", "--plain-http"])
        #expect(server.url.hasPrefix("http://0.0.0.0:"))
        #expect(server.stop() == 0)
    }

    // MARK: - Redirects

    /// A server on 127.0.0.1 that enrols anyone, then answers every other request with a 307 to
    /// a second port; the second port writes every request it gets, headers included, to `log`.
    /// Given a certificate and its key too, the first port speaks TLS.
    static let redirector = """
        import http.server, json, ssl, sys, threading
        log = open(sys.argv[1], "a")
        class Target(http.server.BaseHTTPRequestHandler):
            def do_ANY(self):
                log.write(self.command + " " + self.path + "\\n" + str(self.headers) + "\\n"); log.flush()
                self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers(); self.wfile.write(b"{}")
            do_GET = do_POST = do_ANY
            def log_message(self, *a): pass
        target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
        class Redirect(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/v1/enroll":
                    answer = json.dumps({"deviceId": "dev-1", "token": "f" * 64, "name": "t", "post": "LIMA", "role": "advisor",
                                         "generation": "gen-1"}).encode()
                    self.send_response(201); self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer))); self.end_headers(); self.wfile.write(answer); return
                self.do_GET()
            def do_GET(self):
                self.send_response(307); self.send_header("Location", "http://127.0.0.1:%d%s" % (target.server_port, self.path))
                self.send_header("Content-Length", "0"); self.end_headers()
            def log_message(self, *a): pass
        redirect = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
        if len(sys.argv) > 3:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); context.load_cert_chain(sys.argv[2], sys.argv[3])
            redirect.socket = context.wrap_socket(redirect.socket, server_side=True)
        threading.Thread(target=target.serve_forever, daemon=True).start()
        print(redirect.server_port, target.server_port, flush=True)
        redirect.serve_forever()
        """

    @Test(.timeLimit(.minutes(1)))
    func aDeviceNeverFollowsARedirectWithItsToken() throws {
        defer { dir.remove() }
        try refusesTheRedirect(tls: nil)
    }

    /// The same through the second transport (async-http-client), used with an agency CA.
    @Test(.timeLimit(.minutes(1)))
    func aDeviceTrustingTheAgencysCANeverFollowsARedirect() throws {
        defer { dir.remove() }
        let (ca, cert, key) = try certificates()
        try refusesTheRedirect(tls: (ca, cert, key))
    }

    /// Enrols with the redirector (over TLS with `tls`), then syncs: the sync fails naming the
    /// redirect's target, which receives nothing.
    func refusesTheRedirect(tls: (ca: String, cert: String, key: String)?) throws {
        let script = dir.path("redirector.py")
        let log = dir.path("target.log")
        try Self.redirector.write(toFile: script, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, log] + (tls.map { [$0.cert, $0.key] } ?? [])
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        defer {
            // SIGKILL: the test runner's children inherit SIGTERM ignored, and the redirector would outlive it.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let line = String(decoding: out.fileHandleForReading.availableDataLine(), as: UTF8.self).split(separator: " ")
        let ports = line.compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(ports.count == 2)
        let device = dir.path("device.sqlite")
        let server = tls == nil ? "http://127.0.0.1:\(ports[0])" : "https://127.0.0.1:\(ports[0])"
        _ = try run(
            "engage",
            ["enroll", "--server", server, "--code", "ABCD-EFGH", "--db", device] + (tls.map { ["--ca-cert", $0.ca] } ?? []))
        _ = try run(
            "engage",
            [
                "log", "--kind", "training", "--title", "Canine course", "--country", "TZ", "--start", "2026-03-02",
                "--post", "LIMA", "--db", device,
            ])
        let sync = try Executables.run("engage", ["sync", "--db", device])
        #expect(sync.status != 0)
        #expect(sync.stderr.contains("redirect") && sync.stderr.contains("127.0.0.1:\(ports[1])"), "\(sync.stderr)")
        let received = try String(contentsOfFile: log, encoding: .utf8)
        #expect(received.isEmpty, "the redirect's target got: \(received)")
        #expect(!received.lowercased().contains("authorization"))
    }

    // MARK: - Metrics and the database password

    @Test func metricsAnswerOnlyTheMetricsToken() async throws {
        defer { dir.remove() }
        let tokenFile = dir.path("metrics-token")
        let token = String(repeating: "9", count: 40)
        _ = FileManager.default.createFile(
            atPath: tokenFile, contents: Data("\(token)\n".utf8), attributes: [.posixPermissions: 0o644])
        let loose = try Executables.run(
            "engage-server", ["serve", "--db", hub, "--port", "0", "--metrics-token-file", tokenFile])
        #expect(loose.status != 0 && loose.stderr.contains("chmod 600"), "\(loose.stderr)")
        chmod(tokenFile, 0o600)
        let open = try ServerProcess(database: hub)
        #expect(try await status(open.url + "/metrics") == 404)
        open.stop()
        let server = try ServerProcess(database: hub, arguments: ["--metrics-token-file", tokenFile])
        defer { server.stop() }
        #expect(try await status(server.url + "/metrics") == 401)
        #expect(try await status(server.url + "/metrics", headers: ["Authorization": "Bearer wrong"]) == 401)
        #expect(try await status(server.url + "/metrics", headers: ["Authorization": "Bearer \(token)"]) == 200)
    }

    @Test func theDatabasePasswordStaysOffTheCommandLine() throws {
        defer { dir.remove() }
        let withPassword = try Executables.run(
            "engage-server", ["devices", "list", "--database-url", "postgres://engage:s3cret@127.0.0.1:1/engage"])
        #expect(withPassword.status != 0)
        #expect(
            withPassword.stderr.contains("--database-url-file") && !withPassword.stderr.contains("s3cret"),
            "\(withPassword.stderr)")
        let file = dir.path("database-url")
        _ = FileManager.default.createFile(
            atPath: file, contents: Data("postgres://engage:s3cret@127.0.0.1:1/engage\n".utf8),
            attributes: [.posixPermissions: 0o644])
        let loose = try Executables.run("engage-server", ["devices", "list", "--database-url-file", file])
        #expect(loose.status != 0 && loose.stderr.contains("chmod 600"), "\(loose.stderr)")
        guard let url = ProcessInfo.processInfo.environment["ENGAGE_TEST_DATABASE_URL"] else { return }
        try Data(url.utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o600)
        _ = try run("engage-server", ["devices", "list", "--database-url-file", file])
    }
}

extension FileHandle {
    /// Bytes up to the first newline (blocking).
    func availableDataLine() -> Data {
        var bytes = Data()
        while true {
            let chunk = readData(ofLength: 1)
            if chunk.isEmpty || chunk.first == UInt8(ascii: "\n") { return bytes }
            bytes.append(chunk)
        }
    }
}
