// What each state of an execution did, folded from its history events one at a time, so a
// live view applies each new page of events without reading the old ones again.
//
// Events name their state only when it is entered or exited; every other event belongs to
// the state of the event it follows (previousEventId). A failure followed by the same
// state's next attempt is a retry; a failure followed by the state's exit is caught (the
// Catch went elsewhere); a failure that ends the execution is a failure.
"use strict";

const BatonStatus = (() => {
  const TERMINAL = { ExecutionSucceeded: "succeeded", ExecutionFailed: "failed", ExecutionTimedOut: "failed", ExecutionAborted: "aborted" };
  const ATTEMPT = /(Scheduled|Started|Submitted)$/;

  function create() {
    return { states: {}, stateOf: {}, failures: {}, open: [], execution: "running", count: 0 };
  }

  function entry(fold, name) {
    let s = fold.states[name];
    if (!s) {
      s = { active: 0, entered: 0, succeeded: 0, caught: 0, failed: 0, aborted: 0, retried: 0,
            iterations: { started: 0, succeeded: 0, failed: 0, aborted: 0 }, events: [] };
      fold.states[name] = s;
    }
    return s;
  }

  function isFailure(type) {
    if (type.startsWith("Execution") || type.startsWith("MapIteration")) return false;
    return /(Failed|TimedOut)$/.test(type);
  }

  function details(event) {
    for (const k in event) if (k.endsWith("EventDetails")) return event[k];
    return {};
  }

  function apply(fold, event) {
    fold.count += 1;
    const type = event.type;
    const prev = event.previousEventId;
    let name = null;
    const group = /^(Parallel|Map)State/.exec(type);
    if (type.endsWith("StateEntered") || type.endsWith("StateExited")) name = details(event).name;
    else if (group || type.startsWith("MapRun")) {
      // A Parallel's or Map's own events (started, succeeded, failed) follow its branches'
      // last events: they belong to the innermost open state of that kind.
      const kind = group ? group[1] : "Map";
      for (let i = fold.open.length - 1; i >= 0; i--) if (fold.open[i].kind === kind) { name = fold.open[i].name; break; }
    } else if (prev in fold.stateOf) name = fold.stateOf[prev];
    if (group && type.endsWith("StateEntered")) fold.open.push({ kind: group[1], name });
    if (group && type.endsWith("StateExited")) {
      const i = fold.open.map(o => o.name).lastIndexOf(name);
      if (i >= 0) fold.open.splice(i, 1);
    }
    if (name != null) {
      fold.stateOf[event.id] = name;
      entry(fold, name).events.push(event.id);
    }
    // A failure another state's event follows (a branch's Fail, then its Parallel's failure
    // or its iteration's): that state failed, and the one around it carries the failure on.
    const pending = fold.failures[prev];
    if (pending !== undefined && pending !== name && !type.endsWith("StateExited") && !(type in TERMINAL)) {
      delete fold.failures[prev];
      const f = entry(fold, pending);
      f.active = Math.max(0, f.active - 1);
      f.failed += 1;
    }
    if (type.endsWith("StateEntered")) {
      const s = entry(fold, name);
      s.entered += 1;
      // A Fail state is over once entered: its failure is settled by what follows it.
      if (type === "FailStateEntered") fold.failures[event.id] = name; else s.active += 1;
    } else if (type.endsWith("StateExited")) {
      const s = entry(fold, name);
      s.active = Math.max(0, s.active - 1);
      const failed = fold.failures[prev];
      if (failed !== undefined) {
        // Exited right after a failure: the Catch took it. A failure inside (a branch's,
        // an iteration's state) failed there, and the state around it caught it.
        delete fold.failures[prev];
        s.caught += 1;
        if (failed !== name) {
          const f = entry(fold, failed);
          f.active = Math.max(0, f.active - 1);
          f.failed += 1;
        }
      } else s.succeeded += 1;
    } else if (name != null && isFailure(type)) {
      fold.failures[event.id] = name;
    } else if (name != null && ATTEMPT.test(type) && fold.failures[prev] === name) {
      delete fold.failures[prev];
      entry(fold, name).retried += 1;
    }
    if (type.startsWith("MapIteration")) {
      const d = details(event);
      if (d.name != null) {
        const it = entry(fold, d.name).iterations;
        if (type === "MapIterationStarted") it.started += 1;
        else if (type === "MapIterationSucceeded") it.succeeded += 1;
        else if (type === "MapIterationFailed") it.failed += 1;
        else if (type === "MapIterationAborted") it.aborted += 1;
      }
    }
    if (type in TERMINAL) {
      fold.execution = TERMINAL[type];
      // The failure that ended the run, and every state still running, end with it.
      if (type !== "ExecutionSucceeded") {
        for (const failed of Object.values(fold.failures)) {
          const f = entry(fold, failed);
          f.active = Math.max(0, f.active - 1);
          f.failed += 1;
        }
      }
      fold.failures = {};
      for (const s of Object.values(fold.states)) {
        if (s.active > 0) {
          if (type === "ExecutionAborted") s.aborted += s.active; else if (type !== "ExecutionSucceeded") s.failed += s.active;
          s.active = 0;
        }
      }
    }
  }

  // The colour a state is drawn in.
  function status(s) {
    if (!s) return "idle";
    if (s.active > 0) return "running";
    if (s.failed > 0) return "failed";
    if (s.aborted > 0) return "aborted";
    if (s.caught > 0) return "caught";
    if (s.succeeded > 0) return "succeeded";
    return "idle";
  }

  return { create, apply, status, isFailure, details };
})();

if (typeof module !== "undefined") module.exports = BatonStatus;
