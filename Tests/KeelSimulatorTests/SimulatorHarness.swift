import AsyncHTTPClient
import Foundation
import KeelSimulator
import Logging
import NIOCore
import NIOHTTP1

/// A running simulator on 127.0.0.1 and a client for it, for one test.
struct SimulatorHarness: Sendable {
    /// What came back for one request.
    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: String
        /// The body's bytes, for binary streams.
        let bytes: [UInt8]
        /// The error that ended the body early, if the connection broke.
        let bodyError: String?
        /// When each part of the body arrived, measured from the request start.
        let arrivals: [Duration]

        /// The first value of the header `name`.
        func header(_ name: String) -> String? {
            self.headers.first(name: name)
        }

        /// The body parsed as a JSON object (fails the test when it is not one).
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(self.body.utf8))
            guard let dictionary = object as? [String: Any] else { throw HarnessError("body is not a JSON object") }
            return dictionary
        }

        /// The events of a server-sent event stream with their `event:` names, in order.
        var namedEvents: [(name: String?, data: String)] {
            self.body.components(separatedBy: "\n\n").compactMap { event in
                var name: String?
                var data: String?
                for line in event.split(separator: "\n", omittingEmptySubsequences: true) {
                    if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
                }
                return data.map { (name, $0) }
            }
        }

        /// The `data:` payloads of a server-sent event stream, in order.
        var events: [String] {
            self.body.components(separatedBy: "\n\n").compactMap { event in
                event.hasPrefix("data: ") ? String(event.dropFirst(6)) : nil
            }
        }

        /// The stream's JSON chunks (every event but `[DONE]`), failing on an unparsable one.
        func chunks() throws -> [[String: Any]] {
            try self.events.filter { $0 != "[DONE]" }.map { event in
                guard let chunk = try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any] else {
                    throw HarnessError("chunk is not a JSON object: \(event)")
                }
                return chunk
            }
        }
    }

    struct HarnessError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    let simulator: KeelSimulator
    let client: HTTPClient
    let port: Int

    /// Starts a simulator with `models`, runs `body` against it, then stops both.
    static func run(
        models: [SimulatedModel] = SimulatedModel.defaults,
        apiKey: String? = nil,
        logger: Logger = Logger(label: "keel.simulator.test", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: @Sendable (SimulatorHarness) async throws -> Void
    ) async throws {
        let simulator = KeelSimulator(
            configuration: SimulatorConfiguration(models: models, apiKey: apiKey), logger: logger)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await simulator.run() }
                let port = try await simulator.listeningPort()
                try await body(SimulatorHarness(simulator: simulator, client: client, port: port))
                group.cancelAll()
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func post(
        _ path: String, _ body: String, headers: [(String, String)]? = nil, timeout: TimeAmount = .seconds(10)
    ) async throws -> Reply {
        try await self.send(.POST, path, body: body, headers: headers, timeout: timeout)
    }

    func get(_ path: String) async throws -> Reply {
        try await self.send(.GET, path, body: nil, timeout: .seconds(10))
    }

    func delete(_ path: String) async throws -> Reply {
        try await self.send(.DELETE, path, body: nil, timeout: .seconds(10))
    }

    /// Sends a request and reads the whole body, keeping what arrived when the connection breaks.
    func send(
        _ method: HTTPMethod, _ path: String, body: String?, headers: [(String, String)]? = nil, timeout: TimeAmount
    ) async throws -> Reply {
        let start = ContinuousClock.now
        let response = try await self.client.execute(
            self.request(method, path, body: body, headers: headers), timeout: timeout)
        var bytes = ByteBuffer()
        var arrivals: [Duration] = []
        var bodyError: String?
        do {
            for try await part in response.body {
                arrivals.append(ContinuousClock.now - start)
                var part = part
                bytes.writeBuffer(&part)
            }
        } catch {
            bodyError = "\(error)"
        }
        return Reply(
            status: Int(response.status.code),
            headers: response.headers,
            body: String(buffer: bytes),
            bytes: Array(bytes.readableBytesView),
            bodyError: bodyError,
            arrivals: arrivals
        )
    }

    /// A request to the simulator, with `headers`, or a bearer key as clients send one.
    func request(
        _ method: HTTPMethod, _ path: String, body: String?, headers: [(String, String)]? = nil
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(self.port)\(path)")
        request.method = method
        for (name, value) in headers ?? [("authorization", "Bearer sk-test")] {
            request.headers.add(name: name, value: value)
        }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return request
    }

    /// A chat request body for `model` with one user message.
    static func chatBody(
        model: String = "keel-sim-chat",
        _ text: String = "Hello there, simulator.",
        extra: String = ""
    ) -> String {
        let quoted = String(
            data: try! JSONSerialization.data(withJSONObject: [text], options: .fragmentsAllowed), encoding: .utf8)!
        let content = String(quoted.dropFirst().dropLast())
        return
            #"{"model":"\#(model)","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":\#(content)}]\#(extra)}"#
    }
}

/// Parses JSON text into an object, failing the test when it is not one.
func jsonObject(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw SimulatorHarness.HarnessError("not a JSON object: \(text)")
    }
    return object
}

extension Dictionary where Key == String, Value == Any {
    /// The value at a path of keys and array indices, such as `["choices", 0, "message"]`.
    subscript(path path: Any...) -> Any? {
        var current: Any? = self
        for step in path {
            if let key = step as? String {
                current = (current as? [String: Any])?[key]
            } else if let index = step as? Int {
                guard let array = current as? [Any], array.indices.contains(index) else { return nil }
                current = array[index]
            }
        }
        return current
    }
}
