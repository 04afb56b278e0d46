import Foundation
import ServiceKit
import StatesLanguage
import Testing
@testable import Events

let baseEvent: JSONObject = ["id": "1", "source": "shop", "detail-type": "Order", "account": "123456789012",
                             "region": "us-east-1", "time": "2022-07-13T13:48:01Z", "resources": []]

func event(_ detail: JSON) -> JSON {
    var o = baseEvent
    o["detail"] = detail
    return .object(o)
}

func matches(_ pattern: String, _ detail: JSON) throws -> Bool {
    try EventPattern(text: pattern).matches(event(detail))
}

/// Each operator of EventBridge's pattern language, matched and not.
@Suite struct EventPatternTests {
    @Test(arguments: [
        (#"{"detail":{"state":["running"]}}"#, #"{"state":"running"}"#, true),
        (#"{"detail":{"state":["running"]}}"#, #"{"state":"stopped"}"#, false),
        (#"{"detail":{"n":[5]}}"#, #"{"n":5.0}"#, true),
        (#"{"detail":{"n":["5"]}}"#, #"{"n":5}"#, false),
        (#"{"detail":{"v":[null]}}"#, #"{"v":null}"#, true),
        (#"{"detail":{"tags":["a"]}}"#, #"{"tags":["b","a"]}"#, true),
        (#"{"detail":{"items":{"sku":["x"]}}}"#, #"{"items":[{"sku":"y"},{"sku":"x"}]}"#, true),
        (#"{"detail":{"state":[{"prefix":"run"}]}}"#, #"{"state":"running"}"#, true),
        (#"{"detail":{"state":[{"prefix":{"equals-ignore-case":"RUN"}}]}}"#, #"{"state":"running"}"#, true),
        (#"{"detail":{"file":[{"suffix":".png"}]}}"#, #"{"file":"a.PNG"}"#, false),
        (#"{"detail":{"file":[{"suffix":{"equals-ignore-case":".png"}}]}}"#, #"{"file":"a.PNG"}"#, true),
        (#"{"detail":{"s":[{"equals-ignore-case":"ÉTÉ"}]}}"#, #"{"s":"été"}"#, true),
        (#"{"detail":{"p":[{"wildcard":"/users/*/doc.txt"}]}}"#, #"{"p":"/users/ada/doc.txt"}"#, true),
        (#"{"detail":{"p":[{"wildcard":"/users/*/doc.txt"}]}}"#, #"{"p":"/users/ada/doc.pdf"}"#, false),
        (#"{"detail":{"p":[{"wildcard":"a\\*b"}]}}"#, #"{"p":"a*b"}"#, true),
        (#"{"detail":{"p":[{"wildcard":"a\\*b"}]}}"#, #"{"p":"axb"}"#, false),
        (#"{"detail":{"s":[{"anything-but":["a","b"]}]}}"#, #"{"s":"c"}"#, true),
        (#"{"detail":{"s":[{"anything-but":["a","b"]}]}}"#, #"{"s":"a"}"#, false),
        (#"{"detail":{"s":[{"anything-but":"a"}]}}"#, #"{}"#, false),
        (#"{"detail":{"s":[{"anything-but":{"prefix":"in"}}]}}"#, #"{"s":"init"}"#, false),
        (#"{"detail":{"s":[{"anything-but":{"prefix":"in"}}]}}"#, #"{"s":null}"#, true),
        (#"{"detail":{"n":[{"numeric":[">",0,"<=",5]}]}}"#, #"{"n":5}"#, true),
        (#"{"detail":{"n":[{"numeric":[">",0,"<=",5]}]}}"#, #"{"n":0}"#, false),
        (#"{"detail":{"n":[{"numeric":["=",3.5]}]}}"#, #"{"n":3.5}"#, true),
        (#"{"detail":{"n":[{"numeric":["<",10]}]}}"#, #"{"n":"3"}"#, false),
        (#"{"detail":{"x":[{"exists":true}]}}"#, #"{"x":0}"#, true),
        (#"{"detail":{"x":[{"exists":true}]}}"#, #"{"x":{"y":1}}"#, false),
        (#"{"detail":{"x":[{"exists":false}]}}"#, #"{}"#, true),
        (#"{"detail":{"x":[{"exists":false}]}}"#, #"{"x":"here"}"#, false),
        (#"{"detail":{"ip":[{"cidr":"10.0.0.0/24"}]}}"#, #"{"ip":"10.0.0.255"}"#, true),
        (#"{"detail":{"ip":[{"cidr":"10.0.0.0/24"}]}}"#, #"{"ip":"10.0.1.1"}"#, false),
        (#"{"detail":{"ip":[{"cidr":"2001:db8::/32"}]}}"#, #"{"ip":"2001:db8:1::5"}"#, true),
        (#"{"detail":{"$or":[{"a":["1"]},{"b":["2"]}]}}"#, #"{"b":"2"}"#, true),
        (#"{"detail":{"$or":[{"a":["1"]},{"b":["2"]}]}}"#, #"{"c":"3"}"#, false),
        (#"{"detail":{"state.status":["up"]}}"#, #"{"state":{"status":"up"}}"#, true),
        (#"{"detail":{"state":{"status":["up"]}}}"#, #"{"state.status":"up"}"#, true),
    ])
    func operatorsMatchAsAWSDoes(_ pattern: String, _ detail: String, _ expected: Bool) throws {
        #expect(try matches(pattern, try JSONParser.parse(detail)) == expected, "\(pattern) on \(detail)")
    }

    @Test(arguments: [
        (#"{"source":[]}"#, "Empty arrays are not allowed"),
        (#"{"source":"shop"}"#, "\"source\" must be an object or an array"),
        (#"{"a":[{"EXISTS":true}]}"#, "Unrecognized match type EXISTS"),
        (#"{"a":[{"prefix":1}]}"#, "prefix match pattern must be a string"),
        (#"{"a":[{"numeric":[">",0,">",1]}]}"#, "Bad numeric range operator: >"),
        (#"{"a":[{"anything-but":null}]}"#, "Value of anything-but must be an array or single string/number value."),
        (#"{"a":[{"anything-but":{"suffix":""}}]}"#, "Null prefix/suffix not allowed"),
        (#"{"a":[{"cidr":"10.0.0.0"}]}"#, "Malformed CIDR, one '/' required"),
        (#"{"a":[{"wildcard":"a**b"}]}"#, "Consecutive wildcard characters at pos 2"),
        (#"{"a":[{"wildcard":"*:*:*:*:*:x/*"}]}"#, "Rule is too complex"),
        ("not json", "Unrecognized token 'not'"),
    ])
    func invalidPatternsAreRefusedInAWSsWords(_ pattern: String, _ reason: String) {
        do {
            _ = try EventPattern(text: pattern)
            Issue.record("accepted \(pattern)")
        } catch {
            #expect(error.code == "InvalidEventPatternException")
            #expect(error.message.hasPrefix("Event pattern is not valid. Reason: " + reason), "\(error.message)")
        }
    }

    @Test func patternsLongerThanAWSsLimitAreRefused() {
        let long = #"{"a":[""# + String(repeating: "x", count: 2048) + #""]}"#
        #expect(throws: ServiceError.self) { try EventPattern(text: long) }
    }
}

/// Whether a rule could want Step Functions' status-change events (source `aws.states`): they
/// are built only then, so a bus of other rules pays nothing per execution.
@Suite struct StatusChangeListenerTests {
    @Test(arguments: [
        (#"{"source": ["shop"]}"#, false),
        (#"{"source": ["aws.states"]}"#, true),
        (#"{"source": [{"prefix": "aws."}]}"#, true),
        (#"{"source": [{"anything-but": "aws.states"}]}"#, false),
        (#"{"detail": {"status": ["FAILED"]}}"#, true),
        (#"{"detail-type": ["Order"]}"#, true),
        (#"{"$or": [{"source": ["shop"]}, {"detail-type": ["x"]}]}"#, true),
    ])
    func aRuleListensUnlessItsSourceExcludesStepFunctions(_ pattern: String, _ listens: Bool) throws {
        #expect(try EventPattern(text: pattern).mayMatch(source: "aws.states") == listens)
    }
}
