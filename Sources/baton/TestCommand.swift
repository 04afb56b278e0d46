import ArgumentParser
import Foundation
import ServiceKit
import StatesInterpreter
import StatesLanguage

/// `baton test`: runs a workflow's tests offline (`NAME.tests.json` beside `NAME.asl.json`):
/// every case through the interpreter on a manual clock with its Task states mocked, a report
/// of what passed and, for what failed, where it differs; JUnit XML for CI.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run workflow tests (NAME.tests.json beside NAME.asl.json) offline; exits 1 when a case fails.")

    @Argument(help: "Tests files, definitions (their NAME.tests.json is run) or directories (every *.tests.json in them).")
    var paths: [String]
    @Option(help: "Also write the results as JUnit XML to this file.") var junit: String?

    struct Suite {
        var name: String
        var file: String
        var results: [WorkflowTestFile.CaseResult]
    }

    func run() throws {
        var files: [String] = []
        for path in paths { files += try Self.testsFiles(path) }
        guard !files.isEmpty else { throw ValidationError("no tests files (NAME.tests.json) in \(paths.joined(separator: ", "))") }
        var suites: [Suite] = []
        var invalid = false
        for file in files {
            do {
                suites.append(try Self.run(file))
            } catch let e as BadTests {
                FileHandle.standardError.write(Data("\(file): \(e.message)\n".utf8))
                invalid = true
            }
        }
        var failed = 0, total = 0
        for suite in suites {
            for r in suite.results {
                total += 1
                print("\(r.passed ? "PASS" : "FAIL")  \(suite.name) › \(r.name)")
                if !r.passed {
                    failed += 1
                    for line in r.failures { print("      \(line)") }
                }
            }
        }
        print("\(total - failed) of \(total) cases passed\(failed > 0 ? ", \(failed) failed" : "")")
        if let junit {
            try Data(Self.junit(suites).utf8).write(to: URL(fileURLWithPath: junit))
        }
        if invalid { throw ExitCode(2) }
        if failed > 0 { throw ExitCode(1) }
    }

    struct BadTests: Error { var message: String }

    static func testsFiles(_ path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ValidationError("no such file: \(path)") }
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.filter { $0.hasSuffix(".tests.json") }.sorted().map { (path as NSString).appendingPathComponent($0) }
        }
        if path.hasSuffix(".asl.json") { return [String(path.dropLast(".asl.json".count)) + ".tests.json"] }
        return [path]
    }

    /// Runs one tests file against its definition (`NAME.asl.json` beside it).
    static func run(_ file: String) throws -> Suite {
        guard file.hasSuffix(".tests.json") else { throw BadTests(message: "a tests file is named NAME.tests.json, beside NAME.asl.json") }
        let base = String(file.dropLast(".tests.json".count))
        let name = (base as NSString).lastPathComponent
        let tests: WorkflowTestFile
        do { tests = try WorkflowTestFile(text: try readText(file)) } catch let e as MockConfigError {
            throw BadTests(message: e.description)
        }
        let machine: StateMachine
        do { machine = try DefinitionCheck.parse(try readText(base + ".asl.json")) } catch let e as InvalidDefinition {
            throw BadTests(message: "\(base).asl.json: \(e.description)")
        }
        return Suite(name: name, file: file, results: tests.run(machine, stateMachineName: name))
    }

    static func junit(_ suites: [Suite]) -> String {
        var x = XMLWriter()
        x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n")
        func attribute(_ name: String, _ value: String) {
            x.raw(" \(name)=\"")
            x.text(value)
            x.raw("\"")
        }
        for s in suites {
            x.raw("  <testsuite")
            attribute("name", s.name)
            attribute("tests", "\(s.results.count)")
            attribute("failures", "\(s.results.filter { !$0.passed }.count)")
            attribute("errors", "0")
            attribute("file", s.file)
            x.raw(">\n")
            for r in s.results {
                x.raw("    <testcase")
                attribute("classname", s.name)
                attribute("name", r.name)
                if r.passed {
                    x.raw("/>\n")
                    continue
                }
                x.raw(">\n      <failure")
                attribute("message", r.failures.first ?? "")
                x.raw(">")
                x.text(r.failures.joined(separator: "\n"))
                x.raw("</failure>\n    </testcase>\n")
            }
            x.raw("  </testsuite>\n")
        }
        x.raw("</testsuites>\n")
        return String(decoding: x.bytes, as: UTF8.self)
    }
}
