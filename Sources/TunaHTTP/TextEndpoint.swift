import Foundation
import Hummingbird
import NIOCore

/// One read-only text page over HTTP (`GET /metrics` for Prometheus), for a process whose main
/// thread is busy elsewhere (the daemon's loop): its body is made on each request from
/// `render`, which must be safe to call from the server's threads.
public struct TextEndpoint: Sendable {
    public var host: String
    public var port: Int
    public var path: String
    public var contentType: String
    public var render: @Sendable () -> String

    public init(host: String, port: Int, path: String, contentType: String = "text/plain; version=0.0.4; charset=utf-8",
                render: @escaping @Sendable () -> String) {
        self.host = host
        self.port = port
        self.path = path
        self.contentType = contentType
        self.render = render
    }

    /// Listens until the task is cancelled; no signal handling of its own (the caller has it).
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        let (render, contentType) = (render, contentType)
        router.get(RouterPath(path)) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = contentType
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: render())))
        }
        try await HTTPService.run(router, host: host, port: port, label: "tuna-metrics", handlesSignals: false, onListening: onListening)
    }
}
