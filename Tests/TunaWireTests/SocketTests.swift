import Testing
import Foundation
@testable import TunaWire

@Suite struct SocketTests {
    @Test func routerAndDealerExchangeMultipartMessagesOnLoopback() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context, .router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(router.lastEndpoint)
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))

        let dealer = try ZMQSocket(context, .dealer)
        try dealer.setIdentity(Array("worker-1".utf8))
        try dealer.connect(endpoint)
        let hello = try Envelope(.hello, ["name": "w1"])
        try dealer.send(hello.frames)

        let frames = try #require(try router.receive(timeoutMilliseconds: 2000))
        let (identity, received) = try Envelope.routed(frames)
        #expect(identity == Array("worker-1".utf8))
        #expect(received == hello)
        #expect(try received.decode([String: String].self) == ["name": "w1"])

        let reply = Envelope(type: .dataset, body: Array("{}".utf8), attachment: [0, 1, 2, 255])
        try router.send([identity] + reply.frames)
        let back = try Envelope(frames: try #require(try dealer.receive(timeoutMilliseconds: 2000)))
        #expect(back.attachment == [0, 1, 2, 255])
    }

    @Test func receiveTimesOutWithNil() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context, .router)
        try router.bind("tcp://127.0.0.1:*")
        let start = Date()
        #expect(try router.receive(timeoutMilliseconds: 50) == nil)
        #expect(Date().timeIntervalSince(start) >= 0.04)
    }

    @Test func bindingABusyPortSaysSo() throws {
        let context = try ZMQContext()
        let first = try ZMQSocket(context, .router)
        try first.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(first.lastEndpoint)
        let second = try ZMQSocket(context, .router)
        let error = try #require(throws: ZMQError.self) { try second.bind(endpoint) }
        #expect(error.description.contains("Address already in use"), "\(error)")
        #expect(error.description.contains(endpoint))
        #expect(throws: ZMQError.self) { try second.bind("nonsense://x") }
    }

    @Test func routerDropsMessagesToUnknownPeersWhenMandatoryRoutingIsOn() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context, .router)
        try router.setOption(SocketOption.routerMandatory, 1)
        try router.bind("tcp://127.0.0.1:*")
        #expect(try router.send([Array("ghost".utf8)] + Envelope(type: .heartbeat).frames, dontWait: true) == false)
    }

    @Test func contextShutdownWakesABlockedReceive() async throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .dealer)
        try socket.connect("tcp://127.0.0.1:1")
        let task = Task.detached { () -> String in
            do { _ = try socket.receive(); return "returned" } catch let error as ZMQError {
                return error.isTerminated ? "terminated" : "\(error)"
            } catch { return "\(error)" }
        }
        try await Task.sleep(nanoseconds: 50_000_000)
        context.shutdown()
        let outcome = await task.value
        #expect(outcome == "terminated")
    }
}

@Suite struct EnvelopeTests {
    @Test func malformedFramesAreRejectedWithAReason() {
        func reason(_ frames: [[UInt8]]) -> String {
            do { _ = try Envelope(frames: frames); return "accepted" } catch { return "\(error)" }
        }
        #expect(reason([]).contains("expected 3 or 4 frames"))
        #expect(reason([Array(WireProtocol.version.utf8), Array("launch".utf8), []]).contains("unknown message type 'launch'"))
        #expect(reason([Array("tuna/0".utf8), Array("hello".utf8), []]).contains("peer speaks protocol 'tuna/0'"))
        #expect(reason(Envelope(type: .heartbeat).frames) == "accepted")
        #expect(throws: MalformedMessage.self) { _ = try Envelope.routed([[], Array(WireProtocol.version.utf8)]) }
        let bad = Envelope(type: .hello, body: Array("{not json".utf8))
        #expect(throws: MalformedMessage.self) { _ = try bad.decode([String: String].self) }
    }

    @Test func aBatchCarriesItsMessagesInOrderWithinLimits() throws {
        let messages = [
            try Envelope(.result, ["trialID": 7]),
            Envelope(type: .ready),
            try Envelope(.progress, ["trialID": 8, "step": 1]),
        ]
        let frames = Envelope.batch(messages)
        #expect(frames.count == 2 + 2 * messages.count)
        #expect(try Envelope.messages(frames: frames) == messages)
        let routed = try Envelope.routedMessages([Array("w1".utf8)] + frames)
        #expect(routed.identity == Array("w1".utf8) && routed.envelopes == messages)
        // One message goes as itself, not as a batch of one.
        #expect(Envelope.batch([messages[1]]) == messages[1].frames)
        #expect(try Envelope.messages(frames: messages[1].frames) == [messages[1]])

        func reason(_ frames: [[UInt8]]) -> String {
            do { _ = try Envelope.messages(frames: frames); return "accepted" } catch { return "\(error)" }
        }
        let head = [Array(WireProtocol.version.utf8), Array("batch".utf8)]
        #expect(reason(head + [Array("ready".utf8)]).contains("1 to 256"), "a type without its body")
        #expect(reason(head + [Array("ready".utf8), Array("{}".utf8), Array("launch".utf8), []]).contains("unknown message type 'launch'"))
        #expect(reason(head + [Array("batch".utf8), []]).contains("a batch inside a batch"))
        let tooMany = head + Array(repeating: [Array("heartbeat".utf8), Array("{}".utf8)], count: Envelope.batchLimit + 1).flatMap { $0 }
        #expect(reason(tooMany).contains("1 to 256"))
        let most = head + Array(repeating: [Array("heartbeat".utf8), Array("{}".utf8)], count: Envelope.batchLimit).flatMap { $0 }
        #expect(reason(most) == "accepted")
        #expect(reason([Array("tuna/2".utf8), Array("batch".utf8), [], []]).contains("peer speaks protocol 'tuna/2'"))
        #expect(throws: MalformedMessage.self) { _ = try Envelope(frames: head + [Array("ready".utf8), Array("{}".utf8)]) }
    }
}
