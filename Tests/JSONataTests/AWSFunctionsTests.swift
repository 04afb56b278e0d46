import Foundation
import JSONata
import StatesLanguage
import Testing

/// What AWS adds to JSONata, and the limits that keep a hostile expression from hanging or
/// crashing the process.
@Suite struct AWSFunctionsTests {
    func eval(_ e: String, _ input: JSON? = nil) throws -> JSON? { try JSONata(e).evaluate(input) }

    @Test func seededRandomIsJavasFirstDouble() throws {
        // AWS's $random(42) is java.util.Random(42).nextDouble()
        #expect(try eval("$random(42)") == .double(0.7275636800328681))
        let r = try #require(try eval("$random()")?.doubleValue)
        #expect(r >= 0 && r < 1)
    }

    @Test func partitionRangeParseAndUUID() throws {
        #expect(try eval("$partition([1,2,3,4,5], 2)") == [[1, 2], [3, 4], [5]])
        #expect(try eval("$range(0, 10, 3)") == [0, 3, 6, 9])
        #expect(try eval("$range(1, 3)") == [1, 2, 3])
        // One value is that value, as a JSONata sequence of one is.
        #expect(try eval("$range(0, 0, 1)") == 0)
        #expect(try eval("$range(5, 1, 1)") == [])
        #expect(try eval("$hash('abc', 'SHA-256')") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try eval("$hash('abc', 'MD5')") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(try eval(#"$parse('{"a":[1,true]}')"#) == ["a": [1, true]])
        let uuid = try #require(try eval("$uuid()")?.stringValue)
        #expect(uuid.count == 36 && UUID(uuidString: uuid) != nil)
    }

    @Test func operatorsThatAWSLeavesOutAreSyntaxErrors() {
        for e in ["a ?? b", "a ?: b"] {
            #expect(throws: JSONataError.self) { _ = try JSONata(e) }
        }
    }

    @Test(arguments: [
        "($f := function($n){ $n + $f($n + 1) }; $f(0))",   // unbounded recursion
        "($loop := function($n){ $loop($n) }; $loop(1))",    // an endless tail call: the time limit
    ])
    func hostileExpressionsStopWithAnError(_ expression: String) throws {
        var limits = JSONata.Limits()
        limits.timeLimitSeconds = 0.5
        let e = try JSONata(expression)
        do {
            _ = try e.evaluate(nil as JSON?, limits: limits)
            Issue.record("\(expression) should not finish")
        } catch {
            #expect(error.code == "U1001")
        }
    }

    /// Values share structure, so a few doublings describe more than memory holds: the
    /// evaluation stops with U1002 instead.
    @Test(arguments: [
        "($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $f('x', 60))",           // a string
        "($f := function($a, $n){ $n = 0 ? $a : $f($append($a, $a), $n - 1) }; $f([1], 60))",   // an array
        "($f := function($a, $n){ $n = 0 ? $a : $f([$a, $a], $n - 1) }; $f([1], 60))",          // a shared tree as output
        "($f := function($a, $n){ $n = 0 ? $a : $f([$a, $a], $n - 1) }; $string($f([1], 60)))", // … or as text
        "$join([1..100].$pad('', 1000, 'x'))",
    ])
    func explosiveExpressionsStopWithAnError(_ expression: String) throws {
        let e = try JSONata(expression)
        // A small limit keeps the test quick; the default (16 Mi) stops the same way, later.
        var limits = JSONata.Limits()
        limits.maxValueSize = 1 << 16
        do {
            _ = try e.evaluate(nil as JSON?, limits: limits)
            Issue.record("\(expression) should not finish")
        } catch {
            #expect(error.code == "U1002")
        }
    }
}
