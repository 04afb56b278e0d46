"""Three `baton serve` nodes sharing one PostgreSQL journal: runs started through any node, a
node killed mid-flight and then another, a node paused past its lease. Every run finishes
exactly once with a complete history, and the survivors hold every partition."""
import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import BATON, POSTGRES, Server, postgres_url
from webhook_client import call, deliver

pytestmark = pytest.mark.skipif(POSTGRES is None, reason="BATON_TEST_POSTGRES is not set: the cluster tests did not run")

LEASE = 3  # seconds: a killed node's partitions are free after this long

MIXED = {"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Parameters": {"id.$": "$.id", "items": [1, 2, 3]}, "Next": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Fan"},
    "Fan": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.fanned", "Next": "Hook",
            "ItemProcessor": {"StartAt": "Each", "States": {"Each": {"Type": "Wait", "Seconds": 1, "End": True}}}},
    "Hook": {"Type": "Task", "Resource": "arn:aws:states:::baton:webhook.waitForTaskToken",
             "Parameters": {"Webhook": "cluster-hook", "Key.$": "$.id"}, "TimeoutSeconds": 120, "ResultPath": "$.hook", "Next": "Done"},
    "Done": {"Type": "Pass", "End": True}}}

HOOK = {"Name": "cluster-hook", "KeySource": {"Body": "$.id"}, "StatusSource": {"Body": "$.status"},
        "Outcomes": {"done": {"Outcome": "SUCCESS"}}, "Signature": {"Scheme": "NONE"}}


def start_nodes(tmp_path, n=3):
    url = postgres_url()
    nodes = []
    for i in range(n):
        s = Server(str(tmp_path / ("n%d" % i)), database=url, args=["--node-id", "n%d" % i, "--lease-seconds", str(LEASE)])
        s.log = open(str(tmp_path / ("n%d.log" % i)), "w")
        nodes.append(s.start())
    return url, nodes


def status(url):
    out = subprocess.run([BATON, "cluster", "status", "--database", url, "--format", "json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def owners(url):
    return {p["partition"]: p["owner"] for p in status(url)["partitions"] if p["held"]}


def all_held_by(url, node):
    held = owners(url)
    return len(held) == 16 and set(held.values()) == {node}


def wait_until(what, check, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(what)


def check_history(sfn, arn):
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1)), arn
    types = [e["type"] for e in events]
    assert types.count("ExecutionSucceeded") == 1 and types[-1] == "ExecutionSucceeded", (arn, types)
    for name in ["Prepare", "Pause", "Fan", "Hook", "Done"]:
        entered = [e for e in events if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == name]
        assert len(entered) == 1, (arn, name, len(entered))
    assert types.count("MapIterationSucceeded") == 3 and types.count("TaskSucceeded") == 1, (arn, types)


def resume_all(node, ids):
    """Delivers each run's webhook through `node`, retrying until it resumed its run (a run not yet waiting answers 404)."""
    pending = set(ids)
    deadline = time.time() + 60
    while pending and time.time() < deadline:
        for i in sorted(pending):
            status_, body = deliver(node.endpoint, "cluster-hook", {"id": i, "status": "done"},
                                    headers={"X-Delivery-Id": uuid.uuid4().hex})
            if status_ == 200 and body.get("Outcome") == "SUCCESS":
                pending.discard(i)
        time.sleep(0.2)
    assert not pending, "runs never reached their webhook wait: %s" % sorted(pending)


def test_three_nodes_lose_two_and_every_run_finishes_once(tmp_path):
    url, nodes = start_nodes(tmp_path)
    try:
        # The leases spread over the three nodes (16 partitions: 6, 5, 5 or so).
        wait_until("the partitions never spread", lambda: len(set(owners(url).values())) == 3 and len(owners(url)) == 16)
        sfn = [n.client() for n in nodes]
        assert call(nodes[1].endpoint, "POST", "/baton/webhooks", HOOK)[0] == 201
        arn = sfn[0].create_state_machine(name="mixed", definition=json.dumps(MIXED),
                                          roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        ids = ["o-%d" % i for i in range(24)]
        # Started through every node: a start for a partition owned elsewhere is applied by its owner.
        runs = [sfn[i % 3].start_execution(stateMachineArn=arn, name=i_, input=json.dumps({"id": i_}))["executionArn"]
                for i, i_ in enumerate(ids)]
        assert len(set(runs)) == 24
        # Mid-flight (in the Wait or the Map): kill one node, then another.
        time.sleep(1.0)
        killed = [owners(url)]
        nodes[0].stop(signal.SIGKILL)
        time.sleep(1.0)
        nodes[1].stop(signal.SIGKILL)
        killed_at = time.time()
        survivor = nodes[2]
        wait_until("the survivor never took every partition over", lambda: all_held_by(url, "n2"), timeout=LEASE * 5)
        print("takeover of every partition %.1f s after the second kill (lease %d s)" % (time.time() - killed_at, LEASE))
        # Partitions the dead nodes held are now the survivor's, under a new fencing token.
        assert {p for p, o in killed[0].items() if o != "n2"}, "the killed nodes held nothing"
        resume_all(survivor, ids)
        s = survivor.client()
        wait_until("runs did not finish", lambda: all(s.describe_execution(executionArn=r)["status"] != "RUNNING" for r in runs))
        for r in runs:
            assert s.describe_execution(executionArn=r)["status"] == "SUCCEEDED", r
            check_history(s, r)
        # A dead node that comes back takes its share again.
        nodes[0].start()
        wait_until("the restarted node took no partitions", lambda: "n0" in set(owners(url).values()), timeout=LEASE * 5)
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL)


def test_a_node_paused_past_its_lease_is_fenced_off(tmp_path):
    url, nodes = start_nodes(tmp_path, 2)
    try:
        wait_until("the partitions never spread", lambda: len(set(owners(url).values())) == 2 and len(owners(url)) == 16)
        sfn = nodes[0].client()
        assert call(nodes[0].endpoint, "POST", "/baton/webhooks", HOOK)[0] == 201
        arn = sfn.create_state_machine(name="mixed", definition=json.dumps(MIXED),
                                       roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        ids = ["p-%d" % i for i in range(16)]
        runs = [sfn.start_execution(stateMachineArn=arn, name=i, input=json.dumps({"id": i}))["executionArn"] for i in ids]
        paused = owners(url)
        mine = sorted(p for p, o in paused.items() if o == "n0")
        # n0 stops dead (SIGSTOP) with its runs' timers pending, past its lease: n1 takes its partitions.
        os.kill(nodes[0].proc.pid, signal.SIGSTOP)
        try:
            wait_until("n1 never took the paused node's partitions", lambda: all_held_by(url, "n1"), timeout=LEASE * 5)
            taken = {p["partition"]: p["token"] for p in status(url)["partitions"]}
        finally:
            os.kill(nodes[0].proc.pid, signal.SIGCONT)
        # Back, n0 still believes it holds its partitions until its next heartbeat: whatever it
        # tries for them is refused by the journal, and it gives them up.
        log = str(tmp_path / "n0.log")
        wait_until("the resumed node never noticed it lost its partitions", lambda: "partitions lost" in open(log).read(), timeout=LEASE * 5)
        resume_all(nodes[1], ids)
        s = nodes[1].client()
        wait_until("runs did not finish", lambda: all(s.describe_execution(executionArn=r)["status"] != "RUNNING" for r in runs))
        for r in runs:
            assert s.describe_execution(executionArn=r)["status"] == "SUCCEEDED", r
            check_history(s, r)
        # The tokens n1 took with stayed above those n0 held: n0's commits carried stale ones.
        assert all(taken[p] >= 2 for p in mine), taken
        refused = open(log).read().count("lost partition")
        print("steps of the resumed node refused by the journal: %d" % refused)
        assert refused >= 1, "the resumed node committed nothing it tried, or tried nothing: no refusal logged"
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL)


def test_activity_workers_on_different_nodes_get_each_task_once(tmp_path):
    import threading
    url, nodes = start_nodes(tmp_path, 2)
    threads = []
    try:
        wait_until("the partitions never spread", lambda: len(set(owners(url).values())) == 2 and len(owners(url)) == 16)
        sfn = [n.client() for n in nodes]
        activity = sfn[0].create_activity(name="cluster-work")["activityArn"]
        definition = {"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 60, "End": True}}}
        arn = sfn[1].create_state_machine(name="work", definition=json.dumps(definition),
                                          roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        got, lock, stop = [], threading.Lock(), threading.Event()

        def worker(i):
            # Polls one node, answers through the other: both hops cross partitions' owners.
            poll, answer = nodes[i].client(), nodes[1 - i].client()
            while not stop.is_set():
                try:
                    task = poll.get_activity_task(activityArn=activity, workerName="w%d" % i)
                except Exception:  # noqa: BLE001 - the test ended and its nodes were stopped mid-poll
                    if stop.is_set():
                        return
                    raise
                if not task.get("taskToken"):
                    continue
                with lock:
                    got.append(task["taskToken"])
                answer.send_task_success(taskToken=task["taskToken"], output=json.dumps({"by": i}))

        threads += [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(2)]
        for t in threads:
            t.start()
        runs = [sfn[i % 2].start_execution(stateMachineArn=arn, name="a-%d" % i)["executionArn"] for i in range(12)]
        s = nodes[0].client()
        wait_until("runs did not finish", lambda: all(s.describe_execution(executionArn=r)["status"] != "RUNNING" for r in runs))
        stop.set()
        for r in runs:
            assert s.describe_execution(executionArn=r)["status"] == "SUCCEEDED", r
            types = [e["type"] for e in s.get_execution_history(executionArn=r)["events"]]
            assert types.count("ActivityStarted") == 1 and types.count("ActivitySucceeded") == 1, (r, types)
        # Every task handed out once, to one worker of one node.
        assert len(got) == 12 and len(set(got)) == 12, got
    finally:
        stop.set()
        for n in nodes:
            n.stop(signal.SIGKILL)
        for t in threads:
            t.join(10)


def test_a_function_created_or_changed_through_one_node_runs_on_every_node(tmp_path):
    from test_lambda import ROLE, zipped, zipped_files
    url, nodes = start_nodes(tmp_path, 2)
    try:
        wait_until("the partitions never spread", lambda: len(set(owners(url).values())) == 2 and len(owners(url)) == 16)
        lam = nodes[0].client("lambda")
        lam.create_function(FunctionName="cluster-fn", Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                            Code={"ZipFile": zipped("echo_function")})
        definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName": "cluster-fn", "Payload": {}}, "OutputPath": "$.Payload", "End": True}}}
        sfn = [n.client() for n in nodes]
        arn = sfn[1].create_state_machine(name="calls", definition=json.dumps(definition),
                                          roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]

        def run_all(prefix):
            # Twelve runs land on both nodes' partitions: each node calls the function itself.
            runs = [sfn[i % 2].start_execution(stateMachineArn=arn, name="%s-%d" % (prefix, i))["executionArn"] for i in range(12)]
            s = nodes[0].client()
            wait_until("runs did not finish", lambda: all(s.describe_execution(executionArn=r)["status"] != "RUNNING" for r in runs))
            done = [s.describe_execution(executionArn=r) for r in runs]
            assert all(d["status"] == "SUCCEEDED" for d in done), [(d.get("error"), d.get("cause")) for d in done if d["status"] != "SUCCEEDED"]
            return [json.loads(d["output"]) for d in done]

        assert run_all("first") == [{"Return": "HelloWorld"}] * 12
        # New code through the other node reaches the first one too (its warm workers go).
        nodes[1].client("lambda").update_function_code(FunctionName="cluster-fn", ZipFile=zipped_files(
            {"lambda_function.py": ("def handler(event, context):\n    return {'Return': 'v2'}\n", 0o644)}))
        wait_until("the new code never ran on every node",
                   lambda: all(json.loads(nodes[i].client("lambda").invoke(FunctionName="cluster-fn")["Payload"].read()) == {"Return": "v2"}
                               for i in range(2)), timeout=15)
        assert run_all("second") == [{"Return": "v2"}] * 12
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL)


def psql(sql):
    out = subprocess.run(["psql", POSTGRES, "-At", "-c", sql], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_a_function_changed_while_a_node_was_not_listening_is_read_when_it_listens_again(tmp_path):
    from test_lambda import ROLE, zipped_files
    url, nodes = start_nodes(tmp_path, 2)
    schema = url.rsplit("schema=", 1)[1]
    listeners = "FROM pg_stat_activity WHERE query LIKE 'LISTEN%%baton_function_%s%%'" % schema
    code = lambda v: zipped_files({"lambda_function.py": ("def handler(event, context):\n    return '%s'\n" % v, 0o644)})
    try:
        wait_until("the nodes never listened for functions", lambda: len(psql("SELECT pid " + listeners)) == 2)
        nodes[0].client("lambda").create_function(FunctionName="missed-fn", Runtime="python3.12", Role=ROLE,
                                                  Handler="lambda_function.handler", Code={"ZipFile": code("v1")})
        assert [json.loads(n.client("lambda").invoke(FunctionName="missed-fn")["Payload"].read()) for n in nodes] == ["v1", "v1"]
        # Both nodes' notice connections go; the change is made before they listen again (a
        # second later), so its notice reaches nobody. Node 0 must read it all the same.
        pids = psql("SELECT pid " + listeners)
        psql("SELECT pg_terminate_backend(pid) " + listeners)
        wait_until("the listeners were not stopped", lambda: not set(psql("SELECT pid " + listeners)) & set(pids))
        nodes[1].client("lambda").update_function_code(FunctionName="missed-fn", ZipFile=code("v2"))
        wait_until("node 0 never ran the new code",
                   lambda: json.loads(nodes[0].client("lambda").invoke(FunctionName="missed-fn")["Payload"].read()) == "v2", timeout=15)
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL)


def test_a_run_is_redriven_through_any_node(tmp_path):
    url, nodes = start_nodes(tmp_path, 2)
    try:
        wait_until("the partitions never spread", lambda: len(set(owners(url).values())) == 2 and len(owners(url)) == 16)
        sfn = [n.client() for n in nodes]
        failing = {"StartAt": "Try", "States": {"Try": {"Type": "Pass", "Next": "Boom"},
                                                "Boom": {"Type": "Fail", "Error": "Nope", "Cause": "on purpose"}}}
        arn = sfn[0].create_state_machine(name="failing", definition=json.dumps(failing),
                                          roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        runs = [sfn[0].start_execution(stateMachineArn=arn, name="f-%d" % i)["executionArn"] for i in range(12)]
        wait_until("runs did not fail", lambda: all(sfn[0].describe_execution(executionArn=r)["status"] == "FAILED" for r in runs))
        # Through both nodes: about half of the runs belong to the other node's partitions.
        for i, r in enumerate(runs):
            sfn[i % 2].redrive_execution(executionArn=r)
        wait_until("redriven runs did not fail again", lambda: all(
            sfn[1].describe_execution(executionArn=r).get("redriveCount") == 1 and
            sfn[1].describe_execution(executionArn=r)["status"] == "FAILED" for r in runs))
        for r in runs:
            types = [e["type"] for e in sfn[0].get_execution_history(executionArn=r)["events"]]
            assert types.count("ExecutionRedriven") == 1 and types.count("ExecutionFailed") == 2, (r, types)
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL)


def test_express_runs_of_a_killed_node_are_failed_by_the_survivor(tmp_path):
    url, nodes = start_nodes(tmp_path, 2)
    try:
        wait_until("the partitions never spread", lambda: len(set(owners(url).values())) == 2 and len(owners(url)) == 16)
        sfn = [n.client() for n in nodes]
        slow = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 120, "End": True}}}
        arn = sfn[0].create_state_machine(name="slow-express", definition=json.dumps(slow), type="EXPRESS",
                                          roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        # Run in node 0's memory, their rows in both nodes' partitions.
        runs = [sfn[0].start_execution(stateMachineArn=arn, name="x-%d" % i)["executionArn"] for i in range(8)]
        kept = sfn[1].start_execution(stateMachineArn=arn, name="kept")["executionArn"]
        assert all(sfn[1].describe_execution(executionArn=r)["status"] == "RUNNING" for r in runs + [kept])
        nodes[0].stop(signal.SIGKILL)
        killed_at = time.time()
        wait_until("the killed node's Express runs were not failed", lambda: all(
            sfn[1].describe_execution(executionArn=r)["status"] == "FAILED" for r in runs), timeout=LEASE * 6)
        print("Express runs of the killed node failed %.1f s after the kill (lease %d s)" % (time.time() - killed_at, LEASE))
        for r in runs:
            d = sfn[1].describe_execution(executionArn=r)
            assert d["error"] == "States.Runtime" and "stopped" in d["cause"], d
        # The survivor's own run goes on.
        assert sfn[1].describe_execution(executionArn=kept)["status"] == "RUNNING"
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL)
