import Journal

extension ServiceCall {
    /// The caller's trace, in X-Ray's spelling: `X-Amzn-Trace-Id`, else a W3C `traceparent`.
    package var traceHeader: String? {
        if let trace { return trace }
        if let x = headers["x-amzn-trace-id"], let t = TraceContext(xray: x) { return t.xray }
        if let w = headers["traceparent"], let t = TraceContext(traceparent: w) { return t.xray }
        return nil
    }
}
