import ServiceKit
import StatesLanguage
import Testing
@testable import Tables

/// The expression language against items, with AWS's semantics and messages.
@Suite struct ExpressionTests {
    static let item: Item = try! Item(json: JSONParser.parse(#"""
        {"id": {"S": "u1"}, "age": {"N": "30"}, "name": {"S": "Ada"}, "tags": {"SS": ["a", "b"]}, "nums": {"NS": ["1", "2"]},
         "profile": {"M": {"emails": {"L": [{"S": "x@y"}, {"S": "z@y"}]}, "active": {"BOOL": true}}}, "nothing": {"NULL": true}}
        """#))

    static func placeholders(names: String = "null", _ values: String) throws -> Placeholders {
        let n = try JSONParser.parse(names)
        let v = try JSONParser.parse(values)
        return try Placeholders(names: n.isNull ? nil : n, values: v.isNull ? nil : v)
    }

    @Test(arguments: [
        ("age = :v", #"{":v": {"N": "30"}}"#, true),
        ("age = :v", #"{":v": {"S": "30"}}"#, false),
        ("age <> :v", #"{":v": {"S": "30"}}"#, true),
        ("gone <> :v", #"{":v": {"N": "1"}}"#, true),
        ("gone = :v", #"{":v": {"N": "1"}}"#, false),
        ("age < :v", #"{":v": {"N": "100"}}"#, true),
        ("age BETWEEN :a AND :b", #"{":a": {"N": "30"}, ":b": {"N": "31"}}"#, true),
        ("#n IN (:a, :b)", #"{":a": {"S": "Bob"}, ":b": {"S": "Ada"}}"#, true),
        ("begins_with(#n, :p)", #"{":p": {"S": "Ad"}}"#, true),
        ("contains(tags, :t)", #"{":t": {"S": "b"}}"#, true),
        ("contains(nums, :t)", #"{":t": {"N": "2.0"}}"#, true),
        ("contains(profile.emails, :e)", #"{":e": {"S": "z@y"}}"#, true),
        ("contains(#n, :s)", #"{":s": {"S": "d"}}"#, true),
        ("size(profile.emails) = :two AND size(#n) > :two", #"{":two": {"N": "2"}}"#, true),
        ("attribute_type(nothing, :t)", #"{":t": {"S": "NULL"}}"#, true),
        ("profile.emails[1] = :e", #"{":e": {"S": "z@y"}}"#, true),
        ("profile.active = :t AND NOT attribute_exists(profile.gone)", #"{":t": {"BOOL": true}}"#, true),
        ("(age > :v OR attribute_not_exists(id)) AND tags = :s", #"{":v": {"N": "1"}, ":s": {"SS": ["b", "a"]}}"#, true),
        ("age > :v OR attribute_not_exists(id) AND tags = :s", #"{":v": {"N": "99"}, ":s": {"SS": ["b"]}}"#, false),
    ])
    func conditionsHoldAsOnAWS(_ text: String, _ values: String, _ expected: Bool) throws {
        let p = try Self.placeholders(names: ##"{"#n": "name"}"##, values)
        let c = try ExpressionParser.condition(text, p)
        #expect(try ExpressionEvaluator.holds(c, on: Self.item) == expected)
    }

    @Test(arguments: [
        ("SET age = age + :one", #"{":one": {"N": "1"}}"#, #"{"age": {"N": "31"}}"#),
        ("SET age = :one - age", #"{":one": {"N": "1"}}"#, #"{"age": {"N": "-29"}}"#),
        ("SET profile.emails = list_append(:first, profile.emails)", #"{":first": {"L": [{"S": "a@b"}]}}"#,
         #"{"profile": {"M": {"active": {"BOOL": true}, "emails": {"L": [{"S": "a@b"}, {"S": "x@y"}, {"S": "z@y"}]}}}}"#),
        ("SET profile.emails[9] = :e", #"{":e": {"S": "new"}}"#,
         #"{"profile": {"M": {"active": {"BOOL": true}, "emails": {"L": [{"S": "x@y"}, {"S": "z@y"}, {"S": "new"}]}}}}"#),
        ("REMOVE profile.emails[0], nothing", "null", #"{"profile": {"M": {"active": {"BOOL": true}, "emails": {"L": [{"S": "z@y"}]}}}}"#),
        ("SET visits = if_not_exists(visits, :zero) + :one", #"{":zero": {"N": "0"}, ":one": {"N": "1"}}"#, #"{"visits": {"N": "1"}}"#),
        ("ADD tags :t, tally :n", #"{":t": {"SS": ["c", "a"]}, ":n": {"N": "5"}}"#, #"{"tags": {"SS": ["a", "b", "c"]}, "tally": {"N": "5"}}"#),
        ("DELETE tags :t", #"{":t": {"SS": ["a", "b"]}}"#, #"{}"#),
    ])
    func updatesApplyAsOnAWS(_ text: String, _ values: String, _ changed: String) throws {
        let p = try Self.placeholders(values)
        let actions = try ExpressionParser.update(text, p)
        let after = try ExpressionEvaluator.apply(actions, to: Self.item)
        var expected = Self.item
        for (k, v) in try Item(json: JSONParser.parse(changed)) { expected[k] = v }
        for path in actions.paths where try Item(json: JSONParser.parse(changed))[path.first] == nil { expected[path.first] = nil }
        #expect(after == expected)
    }

    @Test(arguments: [
        ("SET a = :v", #"{":w": {"N": "1"}}"#, "An expression attribute value used in expression is not defined; attribute value: :v"),
        ("SET #x = :v", #"{":v": {"N": "1"}}"#, "An expression attribute name used in the document path is not defined; attribute name: #x"),
        ("SET name = :v", #"{":v": {"N": "1"}}"#, "Attribute name is a reserved keyword; reserved keyword: name"),
        ("SET a = :v SET b = :v", #"{":v": {"N": "1"}}"#, #"The "SET" section can only be used once in an update expression;"#),
        ("SET a = :v, a.b = :v", #"{":v": {"N": "1"}}"#, "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"),
        ("SET a = :v +", #"{":v": {"N": "1"}}"#, #"Syntax error; token: "<EOF>", near: "+""#),
        ("SET a = size(b)", #"{":v": {"N": "1"}}"#, "The function is not allowed in an update expression; function: size"),
        ("  ", #"{":v": {"N": "1"}}"#, "The expression can not be empty;"),
    ])
    func badUpdateExpressionsAreRefusedWithAWSsMessages(_ text: String, _ values: String, _ message: String) throws {
        let p = try Self.placeholders(values)
        #expect {
            _ = try ExpressionParser.update(text, p)
        } throws: { error in
            (error as? ServiceError)?.message.contains(message) == true
        }
    }

    @Test func unusedPlaceholdersAreRefused() throws {
        let p = try Self.placeholders(names: ##"{"#a": "age", "#b": "b"}"##, #"{":v": {"N": "1"}, ":w": {"N": "2"}}"#)
        _ = try ExpressionParser.condition("#a = :v", p)
        #expect(throws: ServiceError.validation("")) { try p.checkAllUsed() }
    }

    @Test func projectionsKeepTheShapeOfTheItem() throws {
        let p = try Self.placeholders("null")
        let paths = try ExpressionParser.projection("profile.emails[1], age, gone", p)
        let projected = ExpressionEvaluator.project(Self.item, paths)
        #expect(projected == (try Item(json: JSONParser.parse(#"{"profile": {"M": {"emails": {"L": [{"S": "z@y"}]}}}, "age": {"N": "30"}}"#))))
    }

    @Test func keyConditionsBecomeKeyRanges() throws {
        let p = try Self.placeholders(#"{":h": {"S": "p"}, ":lo": {"N": "1"}, ":hi": {"N": "5"}}"#)
        let c = try ExpressionParser.condition("id = :h AND ts BETWEEN :lo AND :hi", kind: "KeyConditionExpression", p)
        let r = try DynamoDBService.keyRange(c, hash: .init(name: "id", type: "S"), range: .init(name: "ts", type: "N"))
        #expect(r.partition == Array("p".utf8))
        #expect(r.range?.op == "BETWEEN")
        let wrong = try ExpressionParser.condition("ts = :lo", kind: "KeyConditionExpression", try Self.placeholders(#"{":lo": {"N": "1"}}"#))
        #expect(throws: ServiceError.validation("")) {
            try DynamoDBService.keyRange(wrong, hash: .init(name: "id", type: "S"), range: .init(name: "ts", type: "N"))
        }
    }
}
