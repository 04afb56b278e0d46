"""The console in a real browser (headless Chromium): a person logs in with the endpoint's key,
opens a run started through the API, and watches its graph turn green over server-sent events
as the run moves on; the graph's nodes and colours are read back through the DOM, and
screenshots are saved (under the pytest run's temporary directory) and checked."""
import json
import os
import subprocess
import time
import urllib.parse

import boto3
import pytest

from conftest import BATON, free_port

KEY, SECRET = "AKIDCONSOLE", "console-secret"

DEFINITION = {
    "Comment": "Every kind of edge and nesting the console draws",
    "StartAt": "Check",
    "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Fan"}], "Default": "Skip"},
        "Skip": {"Type": "Succeed"},
        "Fan": {"Type": "Parallel", "ResultPath": None, "Next": "Risky", "Branches": [
            {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
            {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}}]},
        "Risky": {"Type": "Parallel", "Next": "Each", "Branches": [{"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Bad"}}}],
                  "Catch": [{"ErrorEquals": ["Bad"], "ResultPath": "$.error", "Next": "Each"}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": None, "Next": "Work",
                 "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}}},
        "Work": {"Type": "Task", "Resource": "ACTIVITY", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
GREEN = "rgb(215, 240, 216)"  # a succeeded state's fill (console.css)
BLUE = "rgb(209, 231, 251)"  # a running state's fill


@pytest.fixture
def signed_server(tmp_path):
    port = free_port()
    proc = subprocess.Popen([BATON, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--require-signature",
                             "--access-key-id", KEY, "--secret-access-key", SECRET], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = "http://127.0.0.1:%d" % port
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY,
                         aws_secret_access_key=SECRET).list_activities()
            break
        except Exception:
            time.sleep(0.1)
    yield endpoint
    proc.terminate()
    proc.wait(timeout=30)


def wait_for(what, check, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def statuses(browser):
    return browser.execute_script(
        "const out = {}; for (const g of document.querySelectorAll('#graph g.node')) out[g.dataset.state] = g.dataset.status; return out;")


def fill(browser, state):
    return browser.execute_script(
        "const g = document.querySelector(`#graph g.node[data-state='${arguments[0]}'] rect.box`); return g && getComputedStyle(g).fill;", state)


def screenshot(browser, path):
    browser.save_screenshot(str(path))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, "a real picture of the page"
    return data


def test_a_run_turns_green_live_in_the_console(signed_server, browser, tmp_path):
    sfn = boto3.client("stepfunctions", endpoint_url=signed_server, region_name="us-east-1", aws_access_key_id=KEY, aws_secret_access_key=SECRET)
    activity = sfn.create_activity(name="console-work")["activityArn"]
    definition = json.loads(json.dumps(DEFINITION).replace("ACTIVITY", activity))
    machine = sfn.create_state_machine(name="console-demo", definition=json.dumps(definition),
                                       roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]

    # The page is open; its data is not: a login with the key comes first (a wrong one is refused).
    browser.get(signed_server + "/console")
    form = wait_for("the login form", lambda: browser.find_elements("css selector", "form.login"))
    form[0].find_element("name", "accessKeyId").send_keys(KEY)
    form[0].find_element("name", "secretAccessKey").send_keys("wrong")
    form[0].find_element("css selector", "button[type=submit]").click()
    wait_for("the refusal", lambda: "not this endpoint" in browser.find_element("css selector", "form.login .error").text)
    secret = browser.find_element("name", "secretAccessKey")
    secret.clear()
    secret.send_keys(SECRET)
    browser.find_element("css selector", "form.login button[type=submit]").click()
    wait_for("the executions list", lambda: browser.find_elements("id", "executions"))
    cookie = browser.get_cookie("baton_console")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    run = sfn.start_execution(stateMachineArn=machine, name="live-1", input=json.dumps({"go": True, "items": [1, 2, 3]}))["executionArn"]
    browser.get(signed_server + "/console#/ex/" + urllib.parse.quote(run, safe=""))
    # Every state is a node: eleven, nested ones included, plus Start and End.
    wait_for("the graph", lambda: len(statuses(browser)) == 11)
    assert sorted(statuses(browser)) == sorted(["Check", "Skip", "Fan", "Left", "Right", "Risky", "Boom", "Each", "Item", "Work", "Done"])
    assert len(browser.find_elements("css selector", "#graph g.terminal")) == 2
    # The run waits in Work (an activity nobody has taken): drawn running, what came before green.
    wait_for("Work running", lambda: statuses(browser).get("Work") == "running")
    s = statuses(browser)
    assert [s[n] for n in ["Check", "Fan", "Left", "Right", "Each", "Item"]] == ["succeeded"] * 6
    assert s["Risky"] == "caught" and s["Boom"] == "failed" and s["Skip"] == "idle" and s["Done"] == "idle"
    assert fill(browser, "Work") == BLUE and fill(browser, "Check") == GREEN
    each = browser.find_element("css selector", "#graph g.node[data-state='Each'] [data-role='count']").text
    assert each == "3/3 items"
    screenshot(browser, tmp_path / "console-running.png")

    # The worker finishes the task through the API; the open page sees it without a reload.
    task = sfn.get_activity_task(activityArn=activity, workerName="test")
    sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"ok": True}))
    wait_for("the run's end", lambda: browser.find_element("id", "app").get_attribute("data-execution-status") == "SUCCEEDED")
    wait_for("Done green", lambda: statuses(browser).get("Done") == "succeeded")
    s = statuses(browser)
    assert s["Work"] == "succeeded" and fill(browser, "Work") == GREEN and fill(browser, "Done") == GREEN
    assert browser.find_element("id", "app").get_attribute("data-live") == "ended"
    screenshot(browser, tmp_path / "console-succeeded.png")

    # The event table holds the whole history; a click on a state shows only its events.
    history = sfn.get_execution_history(executionArn=run, maxResults=1000)["events"]
    wait_for("every event listed", lambda: browser.execute_script("return document.querySelectorAll('#events .row').length") == len(history))
    browser.find_element("css selector", "#graph g.node[data-state='Work']").click()
    types = wait_for("Work's events", lambda: browser.execute_script(
        "const r = [...document.querySelectorAll('#events .row')].map(x => x.children[1].textContent); return r.length < 10 && r;"))
    assert types[0] == "TaskStateEntered" and types[-1] == "TaskStateExited" and "ActivityScheduled" in types
    browser.find_element("css selector", "#events .row").click()
    assert '"TaskStateEntered"' in browser.find_element("id", "event-detail").text

    # Stop from the console: another run, stopped with its button.
    other = sfn.start_execution(stateMachineArn=machine, name="live-2", input=json.dumps({"go": True, "items": []}))["executionArn"]
    browser.get(signed_server + "/console#/ex/" + urllib.parse.quote(other, safe=""))
    wait_for("Work running", lambda: statuses(browser).get("Work") == "running")
    browser.find_element("id", "stop").click()
    browser.switch_to.alert.accept()
    wait_for("the stop", lambda: browser.find_element("id", "app").get_attribute("data-execution-status") == "ABORTED")
    assert sfn.describe_execution(executionArn=other)["status"] == "ABORTED"
    assert statuses(browser)["Work"] == "aborted"

    # The list finds runs by name prefix across machines.
    browser.get(signed_server + "/console#/")
    prefix = wait_for("the filters", lambda: browser.find_elements("name", "namePrefix"))[0]
    prefix.send_keys("live-1")
    # Read in one script: the list redraws as the filter settles, so elements found in one
    # call may be gone by the next.
    wait_for("the filtered list", lambda: browser.execute_script(
        "return [...document.querySelectorAll('#executions tbody tr[data-arn]')].map(r => r.dataset.arn)") == [run])


def test_a_definition_of_a_hundred_states_draws_every_state(server, browser):
    """A hundred states (a chain with choices that skip ahead): every one a node, none drawn
    on top of another."""
    sfn = server.client()
    states = {}
    for i in range(100):
        name = "S%03d" % i
        if i == 99:
            states[name] = {"Type": "Succeed"}
        elif i % 10 == 5:
            states[name] = {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": i, "Next": "S%03d" % min(99, i + 7)}],
                            "Default": "S%03d" % (i + 1)}
        else:
            states[name] = {"Type": "Pass", "Next": "S%03d" % (i + 1)}
    arn = sfn.create_state_machine(name="hundred", definition=json.dumps({"StartAt": "S000", "States": states}),
                                   roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    browser.get(server.endpoint + "/console#/sm/" + urllib.parse.quote(arn, safe=""))
    wait_for("the graph", lambda: len(statuses(browser)) == 100)
    boxes = browser.execute_script("""
        return [...document.querySelectorAll('#graph g.node rect.box')].map(r => {
            const b = r.getBBox(); return [b.x, b.y, b.width, b.height]; });""")
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]]
    assert len(boxes) == 100 and not overlaps
    # The choices' edges skip seven states ahead: each goes around the states it passes, never
    # through one (points along every edge, against every state's box but its own two ends).
    crossings = browser.execute_script("""
        const boxes = {};
        for (const g of document.querySelectorAll('#graph g.node')) boxes[g.dataset.state] = g.querySelector('rect.box').getBBox();
        const hits = [];
        for (const p of document.querySelectorAll('#graph path.edge')) {
            const length = p.getTotalLength();
            for (let i = 1; i < 60; i++) {
                const pt = p.getPointAtLength(length * i / 60);
                for (const [name, b] of Object.entries(boxes)) {
                    if (name === p.dataset.from || name === p.dataset.to) continue;
                    if (pt.x > b.x + 1 && pt.x < b.x + b.width - 1 && pt.y > b.y + 1 && pt.y < b.y + b.height - 1)
                        hits.push(p.dataset.from + " -> " + p.dataset.to + " crosses " + name);
                }
            }
        }
        return [...new Set(hits)];""")
    assert browser.execute_script("return document.querySelectorAll('#graph path.edge').length") >= 108
    assert not crossings, crossings[:5]


def test_a_run_of_twenty_five_thousand_events_is_listed_whole_with_few_rows_drawn(server, browser):
    """Near AWS's 25,000-event limit: every event reaches the table's model and the graph's
    counts, while only the rows in view are in the DOM (the render time is a benchmark:
    bench_console.py)."""
    sfn = server.client()
    definition = {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": None, "End": True,
                  "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}}}}}
    machine = sfn.create_state_machine(name="console-big", definition=json.dumps(definition), roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"items": list(range(6240))}))["executionArn"]
    wait_for("the run", lambda: sfn.describe_execution(executionArn=run)["status"] != "RUNNING", seconds=120)
    total = 0
    token = None
    while True:
        page = sfn.get_execution_history(executionArn=run, maxResults=1000, **({"nextToken": token} if token else {}))
        total += len(page["events"])
        token = page.get("nextToken")
        if not token:
            break
    assert total > 24_000
    browser.get(server.endpoint + "/console#/ex/" + urllib.parse.quote(run, safe=""))
    wait_for("the stream's end", lambda: browser.find_element("id", "app").get_attribute("data-live") == "ended", seconds=60)
    listed = wait_for("every event", lambda: browser.execute_script(
        "const s = document.querySelector('#events .spacer'); const n = parseInt(s.style.height) / 28; return n >= arguments[0] && n;", total))
    assert listed == total
    assert browser.find_element("css selector", "#graph g.node[data-state='Each'] [data-role='count']").text == "6240/6240 items"
    assert browser.find_element("css selector", "#graph g.node[data-state='Item'] [data-role='count']").text == "×6240"
    assert browser.execute_script("return document.querySelectorAll('#events .row').length") < 200
    # Scrolled to the end, the last rows are drawn: the run's last event.
    browser.execute_script("const e = document.getElementById('events'); e.scrollTop = e.scrollHeight;")
    wait_for("the last row", lambda: browser.execute_script(
        "return [...document.querySelectorAll('#events .row')].some(r => r.children[1].textContent === 'ExecutionSucceeded')"))


def test_the_services_page_lists_queues_tables_and_buckets(server, browser):
    kw = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    boto3.client("sqs", **kw).create_queue(QueueName="console-browse")
    boto3.client("s3", **kw).create_bucket(Bucket="console-browse")
    boto3.client("dynamodb", **kw).create_table(TableName="console-browse", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                                                 AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    browser.get(server.endpoint + "/console#/services")

    def cells(service, title):
        return browser.execute_script(
            "const p = document.querySelector(`#services section[data-service='${arguments[0]}'][data-view='${arguments[1]}']`);"
            "return p ? [...p.querySelectorAll('tbody td')].map(td => td.textContent) : [];", service, title)
    wait_for("the queue", lambda: any(c.endswith("/console-browse") for c in cells("sqs", "Queues")))
    wait_for("the bucket", lambda: "console-browse" in cells("s3", "Buckets"))
    wait_for("the table", lambda: "console-browse" in cells("dynamodb", "Tables"))

