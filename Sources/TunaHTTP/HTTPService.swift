import Foundation
import Hummingbird
import Logging
import NIOCore

/// What Tuna's three HTTP servers (the model server, the dashboard, the daemon's /metrics)
/// share: how a router is put on an address, and how a JSON answer is written.
public enum HTTPService {
    /// Serves `router` on host:port until the task is cancelled or, with `handlesSignals`,
    /// SIGINT/SIGTERM (Hummingbird's graceful shutdown; a server beside the daemon's loop leaves
    /// signals to the daemon). `onListening` gets the bound port, the one asked for unless that
    /// was 0 (any free port). Hummingbird logs warnings only: requests are the caller's to log.
    public static func run(
        _ router: Router<BasicRequestContext>, host: String, port: Int, label: String, handlesSignals: Bool,
        onListening: @escaping @Sendable (Int) -> Void
    ) async throws {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "tuna"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [])
    }

    /// `value` as JSON with sorted keys. JSON has no NaN or infinity (a diverged network or
    /// trial can produce them), so those are sent as the strings "nan", "inf", "-inf" rather
    /// than failing the whole answer.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"the answer does not encode as JSON"}"#.utf8)
        return json(data: data, status: status)
    }

    /// Bytes that are JSON already.
    public static func json(data: Data, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
