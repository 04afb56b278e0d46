import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue` as soon as the request's head is read.
/// boto3 and the aws CLI send that header with every S3 upload and wait up to a second for
/// the interim answer before sending the body anyway: without it each PutObject and
/// UploadPart costs a second. Every request is taken (a refusal comes after the body, as a
/// server that does not look at the header would give it).
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data), let expect = head.headerFields[.expect],
           expect.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 as Hummingbird serves it, with `Expect: 100-continue` answered.
    package static var batonHTTP1: HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()]))
    }
}
