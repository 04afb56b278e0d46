import StatesLanguage
import Testing

/// `baton validate` checks Baton's webhook wait resource like any other field.
@Suite struct WebhookWaitValidationTests {
    func definition(_ resource: String, _ parameters: String?) -> String {
        let p = parameters.map { #","Parameters":\#($0)"# } ?? ""
        return #"{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"\#(resource)"\#(p),"TimeoutSeconds":60,"End":true}}}"#
    }

    @Test(arguments: [
        #"{"Webhook":"campaigns","Key.$":"$.id"}"#,
        #"{"Webhook":"campaigns","Key":42,"Extra":1}"#,
        #"{"Webhook.$":"$.hook","Key":"fixed"}"#,
    ])
    func acceptsAWebhookAndAKey(_ parameters: String) {
        let (machine, diagnostics) = StateMachine.validate(definition(WebhookWait.resource, parameters))
        #expect(machine != nil && diagnostics.isEmpty, "\(diagnostics)")
    }

    @Test(arguments: [
        (WebhookWait.resource, nil),
        (WebhookWait.resource, #"{"Webhook":"campaigns"}"#),
        (WebhookWait.resource, #"{"Key.$":"$.id"}"#),
        (WebhookWait.resource, #"{"Webhook":"bad name!","Key":"k"}"#),
        (WebhookWait.resource, #"{"Webhook":"campaigns","Key":""}"#),
        ("arn:aws:states:::baton:webhook", #"{"Webhook":"campaigns","Key":"k"}"#),
    ] as [(String, String?)])
    func refusesWhatCannotWait(_ resource: String, _ parameters: String?) {
        let (_, diagnostics) = StateMachine.validate(definition(resource, parameters))
        #expect(diagnostics.contains { $0.severity == .error && $0.code == "SCHEMA_VALIDATION_FAILED" }, "\(diagnostics)")
    }

    @Test func correlationUsesTheKeysText() {
        #expect(WebhookWait.correlation(resource: WebhookWait.resource, parameters: ["Webhook": "h", "Key": 7])
                == WebhookWait.correlation(webhook: "h", key: "7"))
        #expect(WebhookWait.correlation(resource: WebhookWait.resource, parameters: ["Webhook": "h"]) == nil)
        #expect(WebhookWait.correlation(resource: "arn:aws:states:::lambda:invoke", parameters: ["Webhook": "h", "Key": "k"]) == nil)
    }
}
