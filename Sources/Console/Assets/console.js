// The console: a page per route (#/, #/machines, #/sm/ARN, #/ex/ARN, #/maprun/ARN,
// #/webhooks), each reading through the endpoint's own APIs. Nothing is built or fetched
// from elsewhere: these three scripts are the whole of it.
"use strict";

const app = document.getElementById("app");
let teardown = null; // the current page's live view, closed when the page changes

// ---- helpers -------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), attrs[k]);
    else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) e.setAttribute(k, attrs[k]);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function when(seconds) {
  if (seconds === undefined || seconds === null) return "—";
  const d = new Date(seconds * 1000);
  return d.toLocaleString(undefined, { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}

function duration(start, stop) {
  if (!start) return "—";
  const ms = Math.max(0, ((stop || Date.now() / 1000) - start) * 1000);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

function badge(status) { return h("span", { class: "badge " + status }, status); }
function lastPart(arn) { return (arn || "").split(":").pop(); }
function link(href, text) { return h("a", { href }, text); }
function pretty(text) {
  if (typeof text !== "string") return JSON.stringify(text, null, 2);
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

class APIError extends Error {
  constructor(code, message, status) { super(message); this.code = code; this.status = status; }
}

async function answer(r) {
  const text = await r.text();
  let body = {};
  try { body = text ? JSON.parse(text) : {}; } catch { body = { message: text }; }
  if (!r.ok) {
    const code = (body.__type || "").split("#").pop() || "Error";
    const err = new APIError(code, body.message || body.Message || r.statusText, r.status);
    if (r.status === 403 || code === "MissingAuthenticationTokenException" || code === "IncompleteSignatureException") showLogin();
    throw err;
  }
  return body;
}

// A Step Functions action, as any SDK sends it (the session cookie stands in for a signature).
async function sfn(action, body) {
  const r = await fetch("/", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions." + action },
    body: JSON.stringify(body || {}),
  });
  return answer(r);
}

async function get(path) { return answer(await fetch(path, { credentials: "same-origin" })); }

function failure(where, err) {
  where.replaceChildren(h("p", { class: "error" }, `${err.code || "Error"}: ${err.message}`));
}

// ---- login -----------------------------------------------------------------------------

let loginShown = false;
function showLogin() {
  if (loginShown) return;
  loginShown = true;
  if (teardown) { teardown(); teardown = null; }
  const id = h("input", { name: "accessKeyId", autocomplete: "username", required: true });
  const secret = h("input", { name: "secretAccessKey", type: "password", autocomplete: "current-password", required: true });
  const message = h("p", { class: "error" });
  const form = h("form", { class: "panel login", onsubmit: async ev => {
    ev.preventDefault();
    const r = await fetch("/console/login", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ accessKeyId: id.value, secretAccessKey: secret.value }) });
    if (r.ok) { loginShown = false; route(); } else { message.textContent = "The access key or the secret is not this endpoint's."; }
  } },
    h("h1", {}, "Log in"),
    h("p", { class: "muted" }, "This endpoint requires signed requests. Log in with its access key and secret."),
    h("label", {}, "Access key ID", id), h("label", {}, "Secret access key", secret), message,
    h("button", { class: "primary", type: "submit" }, "Log in"));
  app.replaceChildren(form);
}

// ---- executions (all machines) -------------------------------------------------------------

async function machinesByArn() {
  const all = [];
  let token;
  do {
    const page = await sfn("ListStateMachines", token ? { nextToken: token, maxResults: 1000 } : { maxResults: 1000 });
    all.push(...page.stateMachines);
    token = page.nextToken;
  } while (token);
  return all;
}

function executionList(fixedMachine) {
  const status = h("select", { name: "status" }, ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"].map(s => h("option", { value: s }, s || "any status")));
  const machine = h("select", { name: "stateMachine" }, h("option", { value: "" }, "any state machine"));
  const prefix = h("input", { name: "namePrefix", placeholder: "name starts with" });
  const from = h("input", { name: "from", type: "datetime-local", step: 1 });
  const until = h("input", { name: "until", type: "datetime-local", step: 1 });
  const rows = h("tbody");
  const info = h("span", { class: "muted" });
  const prev = h("button", { disabled: true }, "‹ Newer");
  const next = h("button", { disabled: true }, "Older ›");
  const tokens = [];
  let current = null;

  async function load(token) {
    const q = new URLSearchParams({ maxResults: "50" });
    const m = fixedMachine || machine.value;
    if (m) q.set("stateMachineArn", m);
    if (status.value) q.set("statusFilter", status.value);
    if (prefix.value) q.set("namePrefix", prefix.value);
    if (from.value) q.set("startedAfter", String(new Date(from.value).getTime()));
    if (until.value) q.set("startedBefore", String(new Date(until.value).getTime()));
    if (token) q.set("nextToken", token);
    try {
      const page = await get("/console/api/executions?" + q);
      current = token || null;
      rows.replaceChildren(...page.executions.map(e => h("tr", { class: "clickable", "data-arn": e.executionArn, onclick: () => { location.hash = "#/ex/" + encodeURIComponent(e.executionArn); } },
        h("td", {}, link("#/ex/" + encodeURIComponent(e.executionArn), e.name)), h("td", {}, badge(e.status)),
        fixedMachine ? null : h("td", {}, link("#/sm/" + encodeURIComponent(e.stateMachineArn), lastPart(e.stateMachineArn))),
        h("td", {}, when(e.startDate)), h("td", {}, duration(e.startDate, e.stopDate)))));
      if (!page.executions.length) rows.replaceChildren(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No executions match.")));
      next.disabled = !page.nextToken;
      next.onclick = () => { tokens.push(current); load(page.nextToken); };
      prev.disabled = tokens.length === 0;
      info.textContent = `${page.executions.length} shown`;
    } catch (err) { failure(rows, err); }
  }
  prev.onclick = () => { load(tokens.pop()); };
  const apply = () => { tokens.length = 0; load(null); };
  for (const input of [status, machine, from, until]) input.addEventListener("change", apply);
  prefix.addEventListener("input", () => { clearTimeout(prefix.timer); prefix.timer = setTimeout(apply, 250); });
  if (!fixedMachine) {
    machinesByArn().then(ms => { for (const m of ms) machine.append(h("option", { value: m.stateMachineArn }, m.name)); }).catch(() => {});
  }
  const panel = h("section", { class: "panel", id: "executions" },
    h("h2", {}, "Executions"),
    h("div", { class: "filters" }, h("label", {}, "Status", status), fixedMachine ? null : h("label", {}, "State machine", machine),
      h("label", {}, "Name", prefix), h("label", {}, "Started after", from), h("label", {}, "Started before", until)),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Status"), fixedMachine ? null : h("th", {}, "State machine"),
      h("th", {}, "Started"), h("th", {}, "Duration"))), rows),
    h("div", { class: "pager" }, prev, next, info));
  load(null);
  return panel;
}

async function homePage() {
  app.replaceChildren(h("h1", {}, "Executions"), executionList(null));
}

async function machinesPage() {
  const rows = h("tbody");
  app.replaceChildren(h("h1", {}, "State machines"), h("section", { class: "panel" },
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Type"), h("th", {}, "Created"))), rows)));
  try {
    const ms = await machinesByArn();
    rows.replaceChildren(...ms.map(m => h("tr", { class: "clickable", onclick: () => { location.hash = "#/sm/" + encodeURIComponent(m.stateMachineArn); } },
      h("td", {}, link("#/sm/" + encodeURIComponent(m.stateMachineArn), m.name)), h("td", {}, m.type), h("td", {}, when(m.creationDate)))));
    if (!ms.length) rows.replaceChildren(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No state machines yet.")));
  } catch (err) { failure(rows, err); }
}

// ---- one state machine -------------------------------------------------------------------

function graphPanel(definitionText, onSelect) {
  const holder = h("div", { class: "graph-wrap", id: "graph" });
  let view = null;
  const tools = h("div", { class: "graph-tools" },
    h("button", { onclick: () => view && view.zoom(1.25), title: "Zoom in" }, "+"),
    h("button", { onclick: () => view && view.zoom(0.8), title: "Zoom out" }, "−"),
    h("button", { onclick: () => view && view.zoom(0), title: "Fit the width" }, "Fit"),
    h("span", { class: "legend" }, ...["running", "succeeded", "caught", "failed"].map(s => h("span", {}, h("i", { class: "swatch-" + s }), s))));
  const panel = h("section", { class: "panel" }, h("h2", {}, "Graph"), tools, holder);
  try {
    view = BatonGraph.render(JSON.parse(definitionText), holder, onSelect);
  } catch (err) {
    holder.replaceChildren(h("p", { class: "error" }, "The definition could not be drawn: " + err.message));
  }
  return { panel, view: () => view };
}

async function machinePage(arn) {
  app.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  let sm;
  try { sm = await sfn("DescribeStateMachine", { stateMachineArn: arn }); } catch (err) { return failure(app, err); }
  const versions = h("tbody"), aliases = h("tbody");
  const input = h("textarea", { rows: 3, cols: 50, id: "start-input" }, "{}");
  const started = h("span", { class: "muted" });
  const start = h("button", { class: "primary", id: "start-execution", onclick: async () => {
    try {
      const r = await sfn("StartExecution", { stateMachineArn: arn, input: input.value });
      location.hash = "#/ex/" + encodeURIComponent(r.executionArn);
    } catch (err) { started.textContent = `${err.code}: ${err.message}`; }
  } }, "Start execution");
  const graph = graphPanel(sm.definition);
  app.replaceChildren(
    h("h1", {}, sm.name, " ", h("span", { class: "badge" }, sm.type)),
    h("section", { class: "panel" }, h("dl", { class: "facts" },
      h("dt", {}, "ARN"), h("dd", { class: "mono" }, sm.stateMachineArn), h("dt", {}, "Status"), h("dd", {}, sm.status),
      h("dt", {}, "Created"), h("dd", {}, when(sm.creationDate)), h("dt", {}, "Role"), h("dd", { class: "mono" }, sm.roleArn || "—")),
      h("div", { class: "actions" }, input, start, started)),
    graph.panel,
    h("div", { class: "cols" },
      h("section", { class: "panel" }, h("h2", {}, "Versions"), h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Version"), h("th", {}, "Created"))), versions)),
      h("section", { class: "panel" }, h("h2", {}, "Aliases"), h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Alias"), h("th", {}, "Created"))), aliases))),
    executionList(arn));
  sfn("ListStateMachineVersions", { stateMachineArn: arn }).then(r => {
    versions.replaceChildren(...r.stateMachineVersions.map(v => h("tr", {}, h("td", { class: "mono" }, lastPart(v.stateMachineVersionArn)), h("td", {}, when(v.creationDate)))));
    if (!r.stateMachineVersions.length) versions.replaceChildren(h("tr", {}, h("td", { colspan: 2, class: "muted" }, "None published.")));
  }).catch(err => failure(versions, err));
  sfn("ListStateMachineAliases", { stateMachineArn: arn }).then(r => {
    aliases.replaceChildren(...r.stateMachineAliases.map(a => h("tr", {}, h("td", { class: "mono" }, lastPart(a.stateMachineAliasArn)), h("td", {}, when(a.creationDate)))));
    if (!r.stateMachineAliases.length) aliases.replaceChildren(h("tr", {}, h("td", { colspan: 2, class: "muted" }, "None.")));
  }).catch(err => failure(aliases, err));
}

// ---- one execution -------------------------------------------------------------------------

// The history as a table whose rows all have one height: only those in view are in the DOM,
// so a run of 25,000 events scrolls as lightly as one of ten.
function eventTable(onPick) {
  const ROW = 28;
  const box = h("div", { class: "events", id: "events" });
  const spacer = h("div", { class: "spacer" });
  box.append(spacer);
  let all = [], shown = [], filterType = "", filterState = null, stateOf = {}, selected = null;
  function refilter() {
    shown = all.filter(e => (!filterType || e.type === filterType) && (filterState === null || stateOf[e.id] === filterState));
    spacer.style.height = shown.length * ROW + "px";
    draw();
  }
  function draw() {
    const first = Math.max(0, Math.floor(box.scrollTop / ROW) - 10);
    const last = Math.min(shown.length, first + Math.ceil((box.clientHeight || 600) / ROW) + 20);
    const rows = [];
    for (let i = first; i < last; i++) {
      const e = shown[i];
      const row = h("div", { class: "row" + (BatonStatus.isFailure(e.type) ? " failure" : "") + (selected === e.id ? " selected" : ""), "data-id": e.id,
        onclick: () => { selected = e.id; draw(); onPick(e); } },
        h("span", { class: "muted" }, e.id), h("span", {}, e.type), h("span", { class: "mono" }, stateOf[e.id] || ""),
        h("span", { class: "muted" }, new Date(e.timestamp * 1000).toLocaleTimeString(undefined, { hour12: false })));
      row.style.top = i * ROW + "px";
      rows.push(row);
    }
    spacer.replaceChildren(...rows);
  }
  box.addEventListener("scroll", () => requestAnimationFrame(draw));
  return {
    box,
    add(events, fold) {
      all.push(...events);
      stateOf = fold.stateOf;
      refilter();
    },
    types() { return [...new Set(all.map(e => e.type))].sort(); },
    filter(type, state) { filterType = type; filterState = state; refilter(); },
    count() { return all.length; },
  };
}

async function executionPage(arn) {
  app.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  let ex, sm;
  try {
    [ex, sm] = await Promise.all([sfn("DescribeExecution", { executionArn: arn }), sfn("DescribeStateMachineForExecution", { executionArn: arn })]);
  } catch (err) { return failure(app, err); }
  const fold = BatonStatus.create();
  const statusBadge = h("span", { id: "execution-status" }, badge(ex.status));
  const stopped = h("dd", {}, when(ex.stopDate));
  const errorLine = h("dd", { class: "error" }, ex.error ? `${ex.error}: ${ex.cause || ""}` : "—");
  const message = h("span", { class: "muted" });
  const stop = h("button", { class: "danger", id: "stop", disabled: ex.status !== "RUNNING", onclick: async () => {
    if (!confirm("Stop this execution?")) return;
    try { await sfn("StopExecution", { executionArn: arn, error: "Console.Stopped", cause: "Stopped from the console" }); } catch (err) { message.textContent = err.message; }
  } }, "Stop");
  const redrive = h("button", { id: "redrive", disabled: !["FAILED", "TIMED_OUT", "ABORTED"].includes(ex.status), onclick: async () => {
    try { await sfn("RedriveExecution", { executionArn: arn }); executionPage(arn); } catch (err) { message.textContent = `${err.code}: ${err.message}`; }
  } }, "Redrive");
  const detail = h("pre", { class: "detail mono", id: "event-detail" }, "Pick an event to see its details.");
  const table = eventTable(e => { detail.textContent = JSON.stringify(e, null, 2); });
  const typeFilter = h("select", { id: "event-type" }, h("option", { value: "" }, "every type"));
  const stateLabel = h("span", { class: "muted" });
  let stateFilter = null;
  const clear = h("button", { onclick: () => { stateFilter = null; stateLabel.textContent = ""; table.filter(typeFilter.value, null); } }, "All states");
  typeFilter.addEventListener("change", () => table.filter(typeFilter.value, stateFilter));
  const graph = graphPanel(sm.definition, name => {
    stateFilter = name;
    stateLabel.textContent = `events of ${name}`;
    table.filter(typeFilter.value, name);
  });
  const mapRuns = h("tbody");
  app.replaceChildren(
    h("h1", {}, ex.name, " ", statusBadge),
    h("section", { class: "panel" }, h("dl", { class: "facts" },
      h("dt", {}, "ARN"), h("dd", { class: "mono" }, arn),
      h("dt", {}, "State machine"), h("dd", {}, link("#/sm/" + encodeURIComponent(ex.stateMachineArn), lastPart(ex.stateMachineArn))),
      h("dt", {}, "Started"), h("dd", {}, when(ex.startDate)), h("dt", {}, "Stopped"), stopped,
      h("dt", {}, "Error"), errorLine,
      h("dt", {}, "Input"), h("dd", {}, h("details", {}, h("summary", {}, `${(ex.input || "").length} characters`), h("pre", { class: "detail mono" }, pretty(ex.input || "")))),
      ex.mapRunArn ? h("dt", {}, "Map Run") : null, ex.mapRunArn ? h("dd", {}, link("#/maprun/" + encodeURIComponent(ex.mapRunArn), lastPart(ex.mapRunArn))) : null),
      h("div", { class: "actions" }, stop, redrive, message)),
    graph.panel,
    h("div", { class: "cols" },
      h("section", { class: "panel" }, h("h2", {}, "Events"),
        h("div", { class: "filters" }, h("label", {}, "Type", typeFilter), clear, stateLabel), table.box),
      h("section", { class: "panel" }, h("h2", {}, "Event"), detail)),
    h("section", { class: "panel" }, h("h2", {}, "Map Runs"),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Map Run"), h("th", {}, "Status"), h("th", {}, "Started"))), mapRuns)));

  function paint() {
    const view = graph.view();
    if (!view) return;
    for (const name of view.states) {
      const s = fold.states[name];
      view.set(name, s ? { status: BatonStatus.status(s), entered: s.entered, retried: s.retried, iterations: s.iterations } : { status: "idle", entered: 0, retried: 0 });
    }
  }
  function refreshTypes() {
    const keep = typeFilter.value;
    typeFilter.replaceChildren(h("option", { value: "" }, "every type"), ...table.types().map(t => h("option", { value: t }, t)));
    typeFilter.value = keep;
  }
  function loadMapRuns() {
    sfn("ListMapRuns", { executionArn: arn }).then(r => {
      mapRuns.replaceChildren(...r.mapRuns.map(m => h("tr", {}, h("td", {}, link("#/maprun/" + encodeURIComponent(m.mapRunArn), lastPart(m.mapRunArn))),
        h("td", {}, m.stopDate ? "ended" : "running"), h("td", {}, when(m.startDate)))));
      if (!r.mapRuns.length) mapRuns.replaceChildren(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "None.")));
    }).catch(err => failure(mapRuns, err));
  }
  loadMapRuns();

  // The live view: every event so far, then each step's as it commits.
  const source = new EventSource("/console/api/watch?executionArn=" + encodeURIComponent(arn));
  let pending = [], scheduled = false;
  source.addEventListener("events", m => {
    const events = JSON.parse(m.data);
    for (const e of events) BatonStatus.apply(fold, e);
    pending.push(...events);
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(() => { scheduled = false; table.add(pending, fold); pending = []; refreshTypes(); paint(); });
    }
  });
  source.addEventListener("execution", m => {
    const x = JSON.parse(m.data);
    statusBadge.replaceChildren(badge(x.status));
    stopped.textContent = when(x.stopDate);
    errorLine.textContent = x.error ? `${x.error}: ${x.cause || ""}` : "—";
    stop.disabled = x.status !== "RUNNING";
    redrive.disabled = !["FAILED", "TIMED_OUT", "ABORTED"].includes(x.status);
    app.setAttribute("data-execution-status", x.status);
  });
  source.addEventListener("end", () => { source.close(); loadMapRuns(); app.setAttribute("data-live", "ended"); });
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) app.setAttribute("data-live", "closed"); };
  app.setAttribute("data-live", "open");
  teardown = () => source.close();
}

// ---- Map Runs ------------------------------------------------------------------------------

async function mapRunPage(arn) {
  app.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  let run;
  try { run = await sfn("DescribeMapRun", { mapRunArn: arn }); } catch (err) { return failure(app, err); }
  const counts = run.itemCounts || {};
  const rows = h("tbody");
  app.replaceChildren(h("h1", {}, "Map Run ", lastPart(arn), " ", badge(run.status)),
    h("section", { class: "panel" }, h("dl", { class: "facts" },
      h("dt", {}, "Execution"), h("dd", {}, link("#/ex/" + encodeURIComponent(run.executionArn), lastPart(run.executionArn))),
      h("dt", {}, "Started"), h("dd", {}, when(run.startDate)), h("dt", {}, "Stopped"), h("dd", {}, when(run.stopDate)),
      h("dt", {}, "Items"), h("dd", {}, Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(" · ")))),
    h("section", { class: "panel" }, h("h2", {}, "Child executions"),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Status"), h("th", {}, "Started"))), rows)));
  try {
    const r = await sfn("ListExecutions", { mapRunArn: arn, maxResults: 1000 });
    rows.replaceChildren(...r.executions.map(e => h("tr", {}, h("td", {}, link("#/ex/" + encodeURIComponent(e.executionArn), e.name)),
      h("td", {}, badge(e.status)), h("td", {}, when(e.startDate)))));
  } catch (err) { failure(rows, err); }
}

// ---- webhooks ------------------------------------------------------------------------------

async function webhooksPage() {
  const rows = h("tbody");
  const deliveries = h("tbody");
  const title = h("h2", {}, "Deliveries");
  app.replaceChildren(h("h1", {}, "Webhooks"),
    h("section", { class: "panel" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "URL"), h("th", {}, "Created"))), rows)),
    h("section", { class: "panel" }, title, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Received"), h("th", {}, "Outcome"),
      h("th", {}, "HTTP"), h("th", {}, "Key"), h("th", {}, "Execution"))), deliveries)));
  async function show(name) {
    title.textContent = `Deliveries to ${name}`;
    try {
      const r = await get(`/baton/webhooks/${encodeURIComponent(name)}/deliveries?limit=200`);
      deliveries.replaceChildren(...r.Deliveries.map(d => h("tr", {}, h("td", {}, d.ReceivedAt), h("td", {}, d.Outcome), h("td", {}, d.HttpStatus),
        h("td", { class: "mono" }, d.Key || "—"), h("td", {}, d.ExecutionArn ? link("#/ex/" + encodeURIComponent(d.ExecutionArn), lastPart(d.ExecutionArn)) : "—"))));
      if (!r.Deliveries.length) deliveries.replaceChildren(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No deliveries yet.")));
    } catch (err) { failure(deliveries, err); }
  }
  try {
    const r = await get("/baton/webhooks");
    rows.replaceChildren(...r.Webhooks.map(w => h("tr", { class: "clickable", onclick: () => show(w.Name) },
      h("td", {}, w.Name), h("td", { class: "mono" }, w.Url), h("td", {}, w.CreationDate))));
    if (!r.Webhooks.length) rows.replaceChildren(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No webhooks.")));
  } catch (err) { failure(rows, err); }
}

// ---- the other services: each one's declared lists ------------------------------------------

async function servicesPage() {
  const holder = h("div", { id: "services" });
  app.replaceChildren(h("h1", {}, "Services"), holder);
  let index;
  try { index = await get("/console/api/browse"); } catch (err) { return failure(holder, err); }
  for (const v of index.views) {
    const body = h("tbody");
    const head = h("tr");
    holder.append(h("section", { class: "panel", "data-service": v.service, "data-view": v.title },
      h("h2", {}, v.title, " ", h("span", { class: "muted" }, v.service)), h("table", {}, h("thead", {}, head), body)));
    get(`/console/api/browse/${encodeURIComponent(v.service)}/${v.view}`).then(page => {
      head.replaceChildren(...page.columns.map(c => h("th", {}, c)));
      body.replaceChildren(...page.rows.map(r => h("tr", {}, r.map(cell => h("td", { class: "mono" }, cell)))));
      if (!page.rows.length) body.replaceChildren(h("tr", {}, h("td", { colspan: page.columns.length, class: "muted" }, "None.")));
    }).catch(err => failure(body, err));
  }
}

// ---- routing -------------------------------------------------------------------------------

async function route() {
  if (teardown) { teardown(); teardown = null; }
  app.removeAttribute("data-live");
  app.removeAttribute("data-execution-status");
  const hash = location.hash.slice(1) || "/";
  const [, page, rest] = hash.match(/^\/([^/]*)\/?(.*)$/) || [];
  const arg = decodeURIComponent(rest || "");
  try {
    const session = await get("/console/api/session");
    document.getElementById("who").textContent = session.signatureRequired ? "logged in" : "";
  } catch { return; }
  if (page === "ex") return executionPage(arg);
  if (page === "sm") return machinePage(arg);
  if (page === "maprun") return mapRunPage(arg);
  if (page === "machines") return machinesPage();
  if (page === "webhooks") return webhooksPage();
  if (page === "services") return servicesPage();
  return homePage();
}

window.addEventListener("hashchange", route);
route();
