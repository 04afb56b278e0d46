import ServiceKit
import Foundation
import Logging
import StatesLanguage

/// One warm runtime process (Python or Node.js) running Baton's bootstrap: requests go in as
/// JSON lines on its stdin, answers come back as JSON lines on its stdout; the handler's own
/// prints are captured for `LogType: Tail`.
final class RuntimeWorker: @unchecked Sendable {
    // @unchecked Sendable: `pending` and `dead` are guarded by `lock`; the process and pipes are
    // set once in init; `reader` is touched only by the reader thread.
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private let lock = NSLock()
    private var pending: [CheckedContinuation<JSON?, Never>] = []
    private var dead = false

    static let bootstrap = #"""
import importlib, io, json, os, sys, traceback, time
proto = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
code_dir, spec = os.path.abspath(sys.argv[1]), sys.argv[2]
sys.path.insert(0, code_dir)
module_name, function_name = spec.rsplit(".", 1)
handler = None

class RuntimeError_(Exception):
    """A failure Lambda's runtime reports under its own type (Runtime.HandlerNotFound, ...)."""
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type

def load_handler():
    # As Lambda's Python runtime words them.
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise RuntimeError_("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    except SyntaxError as e:
        raise RuntimeError_("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e))
    h = getattr(module, function_name, None)
    if h is None:
        raise RuntimeError_("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))
    return h

class Context:
    def __init__(self, req):
        self.function_name = req["functionName"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = req["functionArn"]
        self.memory_limit_in_mb = req.get("memory", 128)
        self.aws_request_id = req["requestId"]
        self.log_group_name = "/aws/lambda/" + self.function_name
        self.log_stream_name = "baton"
        self._deadline = time.time() * 1000 + req["timeoutMs"]
    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline - time.time() * 1000))

for line in sys.stdin:
    req = json.loads(line)
    # Lambda gives the invocation's trace in _X_AMZN_TRACE_ID (and Baton a W3C TRACEPARENT).
    for name, key in (("_X_AMZN_TRACE_ID", "traceId"), ("TRACEPARENT", "traceparent")):
        if req.get(key):
            os.environ[name] = req[key]
        else:
            os.environ.pop(name, None)
    logs = io.StringIO()
    saved = sys.stdout
    sys.stdout = logs
    try:
        if handler is None:
            handler = load_handler()
        result = handler(json.loads(req["event"]), Context(req))
        if isinstance(result, (bytes, bytearray)):
            answer = {"raw": bytes(result).decode("utf-8", "replace")}
        else:
            answer = {"ok": json.dumps(result)}
    except RuntimeError_ as e:
        answer = {"error": {"errorMessage": str(e), "errorType": e.error_type, "requestId": "", "stackTrace": []}}
    except Exception as e:
        # As Lambda reports it: the handler's frames only, the code shown under /var/task.
        frames = traceback.format_tb(e.__traceback__.tb_next if e.__traceback__ else None)
        frames = [f.replace(code_dir.rstrip("/") + "/", "/var/task/") for f in frames]
        answer = {"error": {"errorMessage": str(e), "errorType": type(e).__name__,
                            "requestId": req["requestId"], "stackTrace": frames}}
    finally:
        sys.stdout = saved
    answer["logs"] = logs.getvalue()
    proto.write(json.dumps(answer) + "\n")
"""#

    static let nodeBootstrap = #"""
const path = require("path");
const readline = require("readline");
const [codeDir, spec] = process.argv.slice(2);
const dot = spec.lastIndexOf(".");
const moduleName = spec.slice(0, dot), functionName = spec.slice(dot + 1);
const write = process.stdout.write.bind(process.stdout);
let logs = [];
for (const level of ["log", "info", "warn", "error", "debug"]) {
  console[level] = (...args) => logs.push(args.map(a => typeof a === "string" ? a : JSON.stringify(a)).join(" ") + "\n");
}
const rl = readline.createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  const req = JSON.parse(line);
  logs = [];
  for (const [name, key] of [["_X_AMZN_TRACE_ID", "traceId"], ["TRACEPARENT", "traceparent"]]) {
    if (req[key]) process.env[name] = req[key]; else delete process.env[name];
  }
  const deadline = Date.now() + req.timeoutMs;
  let answer;
  try {
    // As Lambda's Node.js runtime names these failures.
    let mod;
    try { mod = require(path.resolve(codeDir, moduleName)); } catch (e) {
      if (e && e.code === "MODULE_NOT_FOUND") throw Object.assign(new Error("Error: Cannot find module '" + moduleName + "'"), { name: "Runtime.ImportModuleError" });
      throw e;
    }
    const handler = mod[functionName];
    if (typeof handler !== "function") throw Object.assign(new Error(spec + " is undefined or not exported"), { name: "Runtime.HandlerNotFound" });
    const context = { functionName: req.functionName, functionVersion: "$LATEST", invokedFunctionArn: req.functionArn,
      memoryLimitInMB: String(req.memory), awsRequestId: req.requestId, logGroupName: "/aws/lambda/" + req.functionName,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
    const result = await handler(JSON.parse(req.event), context);
    answer = { ok: JSON.stringify(result === undefined ? null : result) };
  } catch (e) {
    answer = { error: { errorType: (e && e.name) || "Error", errorMessage: (e && e.message) || String(e),
      trace: String((e && e.stack) || "").split("\n") } };
  }
  answer.logs = logs.join("");
  write(JSON.stringify(answer) + "\n");
});
"""#

    /// `function` names the worker's output in the server's log: whatever the runtime writes to
    /// stderr outside an invocation's captured logs (a crash at import, say) is logged line by
    /// line under it, never dumped raw.
    init(arguments: [String], environment: [String: String], function: String, logger: Logger) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorReader = Thread { [errors] in
            let handle = errors.fileHandleForReading
            var buffer = Data()
            func emit(_ line: Data) {
                let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty { logger.notice("function output", metadata: ["function": "\(function)", "line": "\(text)"]) }
            }
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    emit(buffer[buffer.startIndex..<newline])
                    buffer = buffer[(newline + 1)...]
                }
            }
            emit(buffer)
        }
        errorReader.name = "baton-runtime-stderr"
        errorReader.start()
        let thread = Thread { [output] in
            let handle = output.fileHandleForReading
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = buffer[buffer.startIndex..<newline]
                    buffer = buffer[(newline + 1)...]
                    self.deliver(try? JSONParser.parse([UInt8](line)))
                }
            }
            self.fail()
        }
        thread.name = "baton-runtime-worker"
        thread.start()
    }

    private func deliver(_ answer: JSON?) {
        lock.lock()
        let next = pending.isEmpty ? nil : pending.removeFirst()
        lock.unlock()
        next?.resume(returning: answer)
    }

    private func fail() {
        lock.lock()
        dead = true
        let all = pending
        pending.removeAll()
        lock.unlock()
        for c in all { c.resume(returning: nil) }
    }

    var isAlive: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !dead && process.isRunning
    }

    /// Sends one request; nil when the process died (or was killed for a timeout).
    func call(_ request: JSON) async -> JSON? {
        await withCheckedContinuation { (c: CheckedContinuation<JSON?, Never>) in
            lock.lock()
            if dead {
                lock.unlock()
                c.resume(returning: nil)
                return
            }
            pending.append(c)
            lock.unlock()
            input.fileHandleForWriting.write(Data((request.serialized + "\n").utf8))
        }
    }

    func kill() {
        if process.isRunning { process.terminate() }
        Foundation.kill(process.processIdentifier, SIGKILL)
    }
}
