import Journal
import ServiceKit
import Testing

/// Both spellings of a trace, read and written: W3C's `traceparent` and X-Ray's header.
@Suite struct TraceContextTests {
    @Test func w3cAndXRaySpellTheSameTrace() throws {
        let w = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        #expect(w.xray == "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1")
        let x = try #require(TraceContext(xray: w.xray))
        #expect(x == w && x.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        // Fields in any order, unknown ones ignored, no parent, not sampled.
        let y = try #require(TraceContext(xray: "Sampled=0;Lineage=a:1;Root=1-5759e988-bd862e3fe1be46a994272793"))
        #expect(y.traceId.hex == "5759e988bd862e3fe1be46a994272793" && y.parentId == nil && !y.sampled)
        #expect(TraceContext(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled == false)
    }

    @Test(arguments: [
        "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", "Root=2-5759e988-bd862e3fe1be46a994272793",
        "Root=1-5759e988bd862e3fe1be46a994272793", "Parent=53995c3f42cd8ad8",
        "Root=1-5759e98-8bd862e3fe1be46a994272793", "Root=1-5759e988-bd862e3fe1be46a99427279-", "Root=1-5759e988-bd862e3fe1be46a99427279",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad", "Root=1-5759e98g-bd862e3fe1be46a994272793", "Root 1-5759e988-bd862e3fe1be46a994272793",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x", "00--4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "--", "-",
    ])
    func malformedHeadersAreNotTraces(_ header: String) {
        #expect(TraceContext(header: header) == nil)
    }

    /// X-Ray headers as people write them: spaces around fields and `=`, empty fields,
    /// uppercase hex (kept lowercase), a later Root winning as the last one read.
    @Test(arguments: [
        (" Root = 1-5759E988-BD862E3FE1BE46A994272793 ; Parent = 53995C3F42CD8AD8 ; Sampled = 1 ", "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", true),
        (";;Root=1-5759e988-bd862e3fe1be46a994272793;;", "5759e988bd862e3fe1be46a994272793", nil, false),
        ("Root=1-00000000-000000000000000000000001;Sampled=0", "00000000000000000000000000000001", nil, false),
    ] as [(String, String, String?, Bool)])
    func xRayHeadersAreReadField(_ header: String, _ traceId: String, _ parent: String?, _ sampled: Bool) throws {
        let t = try #require(TraceContext(xray: header))
        #expect(t.traceId.hex == traceId && t.parentId?.hex == parent && t.sampled == sampled)
    }

    /// W3C headers as they may arrive: a later version with more fields (read by its first
    /// four), uppercase hex (kept lowercase), spaces around, each flag bit but the first ignored.
    @Test(arguments: [
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-what-comes-later", "00f067aa0ba902b7", true),
        (" 00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-FF ", "00f067aa0ba902b7", true),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02", "00f067aa0ba902b7", false),
    ] as [(String, String, Bool)])
    func w3cHeadersAreReadByTheirFirstFourFields(_ header: String, _ parent: String, _ sampled: Bool) throws {
        for t in [TraceContext(traceparent: header), TraceContext(header: header)] {
            let t = try #require(t)
            #expect(t.traceId.hex == "4bf92f3577b34da6a3ce929d0e0e4736" && t.parentId?.hex == parent && t.sampled == sampled)
        }
    }

    @Test func aCallsTraceComesFromEitherHeader() {
        #expect(ServiceCall(action: "A", headers: ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]).traceHeader
            == "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1")
        #expect(ServiceCall(action: "A", headers: ["x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"]).traceHeader
            == "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
        #expect(ServiceCall(action: "A", headers: ["traceparent": "garbage"]).traceHeader == nil)
    }
}
