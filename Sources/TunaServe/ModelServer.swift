import Foundation
import Hummingbird
import TunaHTTP
import NIOCore
import TunaExport

/// Where and how `tuna serve` listens.
public struct ServeOptions: Sendable {
    public var host: String
    public var port: Int
    /// Request bodies past this many bytes get a 413 before they are parsed.
    public var maxBody: Int
    /// Model copies, hence inferences that can run at once.
    public var replicas: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, maxBody: Int = 8 << 20, replicas: Int = 2) {
        self.host = host
        self.port = port
        self.maxBody = maxBody
        self.replicas = replicas
    }
}

/// An exported model behind HTTP: `POST /predict`, `GET /model`, `GET /health`. Every answer,
/// errors included, is JSON; an error is `{"error": "message"}`.
public struct ModelServer: Sendable {
    let info: BundleInfo
    /// `GET /model`'s body, made once.
    let description: Data
    let pool: ModelPool
    let options: ServeOptions

    /// Decodes the model file once per copy: a decoded `Sequential` cannot be cloned, and the
    /// file's bytes are the one description all copies are made from.
    public init(modelPath: String, options: ServeOptions) throws {
        guard let data = FileManager.default.contents(atPath: modelPath) else {
            throw ExportError("cannot read the model file \(modelPath)")
        }
        let first = try ModelBundle.decode(data, source: modelPath)
        var replicas = [Replica(bundle: first)]
        for _ in 1..<max(options.replicas, 1) { replicas.append(Replica(bundle: try ModelBundle.decode(data, source: modelPath))) }
        self.info = first.info
        self.description = try modelDescription(first.info)
        self.pool = ModelPool(replicas)
        self.options = options
    }

    /// The routes, apart from the listening so that they can be tested in-process too.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ in HTTPService.json(["status": "ok"]) }
        router.get("model") { _, _ in HTTPService.json(data: description) }
        router.post("predict") { request, _ in
            do {
                return try await predict(request)
            } catch let error as RequestError {
                return HTTPService.json(["error": error.message], status: .init(code: error.status))
            } catch {
                return HTTPService.json(["error": "\(error)"], status: .badRequest)
            }
        }
        return router
    }

    func predict(_ request: Request) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: options.maxBody)
        } catch is NIOTooManyBytesError {
            throw RequestError(413, "the body is larger than \(options.maxBody) bytes (see --max-body)")
        }
        let rows = try RowsRequest.decode(Data(buffer: body))
        let table = try info.table(rows.rows)
        let predictions = try await pool.withReplica { bundle in try bundle.predict(table) }
        return HTTPService.json(PredictResponse(predictions))
    }

    /// Listens until SIGINT or SIGTERM (Hummingbird's graceful shutdown). `onListening` gets
    /// the bound port, which is the one asked for unless that was 0 (any free port).
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        try await HTTPService.run(router(), host: options.host, port: options.port, label: "tuna-serve", handlesSignals: true, onListening: onListening)
    }

    public var modelInfo: BundleInfo { info }
    public var replicaCount: Int { pool.size }
}
