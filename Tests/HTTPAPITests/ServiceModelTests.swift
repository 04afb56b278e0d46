import Integrations
import Parameters
import ServiceKit
import StatesLanguage
import StepFunctions
import Testing

/// The limits of AWS's models, checked the same way for every action of every service.
@Suite struct ServiceModelTests {
    /// Every generated model parses into operations (a malformed one would check nothing).
    @Test(arguments: [("states", StepFunctionsModel.constraints), ("lambda", LambdaModel.constraints),
                      ("ssm", SSMModel.constraints), ("secretsmanager", SecretsManagerModel.constraints)])
    func everyGeneratedModelParses(_ name: String, _ model: ServiceModel) {
        #expect(model.operationCount > 10, "\(name)")
    }

    static let model = StepFunctionsModel.constraints

    @Test func aValueAboveItsRangeIsRefusedInAWSsWords() {
        #expect(Self.model.violations("ListExecutions", ["maxResults": 1001]) ==
                ["Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"])
        #expect(Self.model.violations("ListExecutions", ["maxResults": 1000]).isEmpty)
    }

    @Test func lengthsCountUTF16UnitsAndBothEndsAreChecked() {
        let name = String(repeating: "é", count: 81)
        #expect(Self.model.violations("CreateActivity", ["name": .string(name)]) ==
                ["Value '\(name)' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80"])
        #expect(Self.model.violations("CreateActivity", ["name": ""]) ==
                ["Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"])
        #expect(Self.model.violations("CreateActivity", ["name": .string(String(repeating: "é", count: 80))]).isEmpty)
    }

    /// Sensitive members are never echoed: the error names the member, not its value.
    @Test func sensitiveValuesAreNotEchoed() {
        let cause = String(repeating: "secret", count: 6_000)
        let found = Self.model.violations("StopExecution", ["cause": .string(cause)])
        #expect(found == ["Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768"])
    }

    /// Nested members are named by AWS's paths: list items as `name.N.member`.
    @Test func nestedMembersAndSeveralViolations() throws {
        let tags: JSON = [["key": .string(String(repeating: "k", count: 129)), "value": "v"]]
        do {
            try Self.model.check("TagResource", ["resourceArn": .string(String(repeating: "a", count: 257)), "tags": tags])
            Issue.record("accepted")
        } catch {
            #expect(error.code == "ValidationException")
            #expect(error.message.hasPrefix("2 validation errors detected: Value '"))
            #expect(error.message.contains("at 'resourceArn' failed to satisfy constraint: Member must have length less than or equal to 256; "))
            #expect(error.message.contains("at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"))
        }
    }

    /// A limit deep inside maps, lists and structures is found (an input that keeps every limit
    /// is passed by a check that builds no message; one that breaks any is walked again for it).
    @Test(arguments: [(3, 2, []), (4, 2, ["Value '[a, xx, c, d]' at 'groups.g2.member' failed to satisfy constraint: Member must have length less than or equal to 3"]),
                      (3, 6, ["Value 'xxxxxx' at 'groups.g2.member.2.member' failed to satisfy constraint: Member must have length less than or equal to 5"])])
    func limitsInsideMapsAndListsAreFound(_ items: Int, _ length: Int, _ expected: [String]) {
        let model = ServiceModel(json: """
            {"operations": {"Put": "PutInput"}, "shapes": {
              "PutInput": {"type": "structure", "members": {"Groups": {"shape": "Groups"}, "Count": {"shape": "Count"}}},
              "Groups": {"type": "map", "value": {"shape": "Names"}},
              "Names": {"type": "list", "member": {"shape": "Name"}, "max": 3},
              "Name": {"type": "string", "max": 5},
              "Count": {"type": "integer", "min": 1}}}
            """)
        let long = String(repeating: "x", count: length)
        let names: [JSON] = ["a", .string(long), "c", "d"].prefix(items).map { $0 }
        let input: JSONObject = ["Groups": ["g1": ["a"], "g2": .array(names)], "Count": 1]
        #expect(model.violations("Put", input) == expected)
        #expect(model.violations("Put", ["Count": 0]) == ["Value '0' at 'count' failed to satisfy constraint: Member must have value greater than or equal to 1"])
    }

    /// REST inputs: path and query parameters are checked by their member names.
    @Test func restParametersAreChecked() {
        let lambda = LambdaModel.constraints
        let call = ServiceCall(action: "ListFunctions", method: "GET", query: ["MaxItems": "20000"])
        #expect(lambda.violations("ListFunctions", lambda.restInput("ListFunctions", call: call, body: nil)) ==
                ["Value '20000' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 10000"])
    }
}
