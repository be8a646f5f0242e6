import Foundation
import Hummingbird
import TunaHTTP
import NIOCore
import TunaPlots
import TunaStore

/// Where the dashboard listens and how much it draws.
public struct DashboardOptions: Sendable {
    public var host: String
    public var port: Int
    public var limits: PlotLimits

    public init(host: String = "127.0.0.1", port: Int = 8080, limits: PlotLimits = PlotLimits()) {
        self.host = host
        self.port = port
        self.limits = limits
    }
}

/// A worker as the dashboard lists it: live from a daemon, or as the trials recorded it.
public struct DashboardWorker: Sendable, Codable, Equatable {
    public var name: String
    public var study: String?
    public var trial: Int?
    public var silentFor: Double?

    public init(name: String, study: String? = nil, trial: Int? = nil, silentFor: Double? = nil) {
        self.name = name
        self.study = study
        self.trial = trial
        self.silentFor = silentFor
    }
}

/// `tuna dashboard`: the study pages and the JSON they draw from, over a read-only store.
///
/// Every answer is made from the store on request (the daemon writes while we read: SQLite's
/// WAL gives each read one committed state). The pages poll `/api/studies/NAME` once a second
/// and fetch plots and table rows only when its `version` changed; the plots' SVG comes from
/// TunaPlots, the renderer `tuna report` uses, and is cached per study and version.
public struct Dashboard: Sendable {
    let store: any TrialStore
    let options: DashboardOptions
    /// Set when serving from a daemon: its workers as its loop last saw them.
    let liveWorkers: (@Sendable () -> [DashboardWorker])?
    let cache = PlotCache()
    let log: @Sendable (String) -> Void

    public init(store: any TrialStore, options: DashboardOptions = DashboardOptions(),
                liveWorkers: (@Sendable () -> [DashboardWorker])? = nil,
                log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.store = store
        self.options = options
        self.liveWorkers = liveWorkers
        self.log = log
    }

    /// Listens until the task is cancelled or, with `gracefulShutdown`, SIGINT/SIGTERM.
    public func run(gracefulShutdown: Bool, onListening: @escaping @Sendable (Int) -> Void) async throws {
        try await HTTPService.run(
            router(), host: options.host, port: options.port, label: "tuna-dashboard", handlesSignals: gracefulShutdown,
            onListening: onListening)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ in Self.page(Assets.indexPage) }
        router.get("study/:name") { _, _ in Self.page(Assets.studyPage) }
        router.get("assets/dashboard.js") { _, _ in Self.asset(Assets.script, type: "text/javascript; charset=utf-8") }
        router.get("assets/dashboard.css") { _, _ in Self.asset(Stylesheet.css + Assets.extraCSS, type: "text/css; charset=utf-8") }
        router.get("api/version") { _, _ in try await answer { try API(dashboard: self).version() } }
        router.get("api/studies") { _, _ in try await answer { try API(dashboard: self).studies() } }
        router.get("api/studies/:name") { _, context in
            try await answer { let api = API(dashboard: self); return try api.summary(try api.study(context)) }
        }
        router.get("api/studies/:name/plots") { _, context in
            try await answer { let api = API(dashboard: self); return try await api.plots(try api.study(context)) }
        }
        router.get("api/studies/:name/trials") { request, context in
            try await answer { let api = API(dashboard: self); return try api.trials(try api.study(context), query: request.uri.queryParameters) }
        }
        router.get("api/studies/:name/workers") { _, context in
            try await answer { let api = API(dashboard: self); return try api.workers(try api.study(context)) }
        }
        router.get("api/**") { request, _ in
            Self.json(["error": "no such endpoint: \(String(request.uri.path.prefix(200)))"], status: .notFound)
        }
        return router
    }

    /// Runs a handler; a `RequestError` becomes its status, anything else (the store's errors
    /// name the database's path) a 500 whose detail goes to the log, not to the client.
    func answer(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as RequestError {
            return Self.json(["error": error.message], status: .init(code: error.status))
        } catch {
            log("tuna dashboard: \(error)")
            return Self.json(["error": "the database could not be read (see the dashboard's log)"], status: .internalServerError)
        }
    }

    static func page(_ html: String) -> Response {
        asset(html, type: "text/html; charset=utf-8")
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        var response = HTTPService.json(value, status: status)
        response.headers[.cacheControl] = "no-cache"
        return response
    }
}

/// A client's mistake: its status (4xx) and a message that names only what the client sent.
struct RequestError: Error {
    var status: Int
    var message: String
    init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Plots per study, kept while the study's version stays the same: many open pages, or one
/// polling page, cost one rendering per change.
actor PlotCache {
    private var entries: [Int64: (version: String, body: PlotsBody)] = [:]

    func body(study: Int64, version: String, make: () throws -> PlotsBody) rethrows -> PlotsBody {
        if let entry = entries[study], entry.version == version { return entry.body }
        let body = try make()
        entries[study] = (version, body)
        return body
    }
}

struct PlotsBody: Sendable, Encodable {
    var version: String
    var plots: [RenderedPlot]
}
