import StatesInterpreter
import StatesLanguage
import Testing

@Suite struct IntrinsicTests {
    @Test(arguments: specs("intrinsics.json", name: "expr"))
    func evaluates(_ spec: Spec) throws {
        let result = try run(passWithParameters(["r.$": spec.json["expr"]!]), input: spec.json["input"] ?? [:])
        if let error = spec.json["error"]?.stringValue {
            #expect(result.status == .failed)
            #expect(result.error?.error == error, "\(result.error?.cause ?? "")")
        } else {
            #expect(result.status == .succeeded, "\(result.error?.cause ?? "")")
            #expect(result.output?["r"] == spec.json["expected"])
        }
    }

    @Test func uuidAndRandomComeFromTheSeed() throws {
        let definition = passWithParameters(["u.$": "States.UUID()", "r.$": "States.MathRandom(1, 1000)"])
        let a = try run(definition), b = try run(definition)
        #expect(a.output == b.output, "the same seed must give the same values")
        var clock = ManualClock()
        let c = try run(definition, clock: &clock, seed: 99)
        #expect(c.output != a.output)
        let uuid = a.output?["u"]?.stringValue ?? ""
        #expect(uuid.count == 36 && Array(uuid)[14] == "4")
        let r = a.output?["r"]?.integerValue ?? 0
        #expect(r >= 1 && r < 1000)
    }

    @Test func seededMathRandomIsStable() throws {
        let definition = passWithParameters(["r.$": "States.MathRandom(0, 100, 7)"])
        var clock = ManualClock()
        let a = try run(definition, clock: &clock, seed: 1), b = try run(definition, clock: &clock, seed: 2)
        #expect(a.output == b.output)
    }
}
