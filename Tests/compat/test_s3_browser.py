"""The browser flow, in a real browser (headless Chromium): a page on another origin uploads
straight into a bucket through a presigned PUT URL (CORS preflight and all), reads the object
back, and the upload's EventBridge event starts a workflow that receives the key. A bucket
without CORS rules is refused by the browser itself."""
import http.server
import json
import threading
import time

import boto3
import pytest

from conftest import free_port

PAGE = """<!doctype html><html><head><title>waiting</title></head><body><script>
async function run(put, get) {
  try {
    const up = await fetch(put, {method: "PUT", body: "from the page"});
    const back = await (await fetch(get)).text();
    document.title = "done:" + up.status + ":" + up.headers.get("ETag") + ":" + back;
  } catch (e) {
    document.title = "refused:" + e.name;
  }
}
</script></body></html>"""


@pytest.fixture
def page_origin():
    """Serves the page from an origin of its own (another port)."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % port
    httpd.shutdown()


def upload_from_page(browser, origin, put, get):
    browser.get(origin + "/")
    browser.execute_script("run(arguments[0], arguments[1])", put, get)
    deadline = time.time() + 20
    while time.time() < deadline and browser.title == "waiting":
        time.sleep(0.1)
    return browser.title


def test_a_page_uploads_through_a_presigned_url_and_the_event_starts_a_workflow(server, browser, page_origin):
    kw = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    s3, events, sfn = boto3.client("s3", **kw), boto3.client("events", **kw), boto3.client("stepfunctions", **kw)
    machine = sfn.create_state_machine(
        name="browser-upload", roleArn="arn:aws:iam::000000000000:role/r",
        definition=json.dumps({"StartAt": "Key", "States": {"Key": {"Type": "Pass", "InputPath": "$.detail.object.key", "End": True}}}),
    )["stateMachineArn"]
    events.put_rule(Name="browser-upload", EventPattern=json.dumps({"source": ["aws.s3"], "detail": {"bucket": {"name": ["compat-browser"]}}}))
    events.put_targets(Rule="browser-upload", Targets=[{"Id": "run", "Arn": machine}])
    s3.create_bucket(Bucket="compat-browser")
    s3.put_bucket_notification_configuration(Bucket="compat-browser", NotificationConfiguration={"EventBridgeConfiguration": {}})
    s3.put_bucket_cors(Bucket="compat-browser", CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": [page_origin], "AllowedMethods": ["PUT", "GET"], "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"]}]})

    put = s3.generate_presigned_url("put_object", Params={"Bucket": "compat-browser", "Key": "from-page.txt"}, ExpiresIn=300)
    get = s3.generate_presigned_url("get_object", Params={"Bucket": "compat-browser", "Key": "from-page.txt"}, ExpiresIn=300)
    title = upload_from_page(browser, page_origin, put, get)
    assert title.startswith("done:200:") and title.endswith(":from the page"), title
    assert '"' in title, "the ETag is exposed to the page: %s" % title
    assert s3.get_object(Bucket="compat-browser", Key="from-page.txt")["Body"].read() == b"from the page"

    deadline = time.time() + 20
    runs = []
    while time.time() < deadline and not runs:
        runs = [r for r in sfn.list_executions(stateMachineArn=machine)["executions"] if r["status"] == "SUCCEEDED"]
        time.sleep(0.1)
    assert len(runs) == 1
    assert json.loads(sfn.describe_execution(executionArn=runs[0]["executionArn"])["output"]) == "from-page.txt"

    # Another bucket, no CORS rules: the browser refuses to send the upload.
    s3.create_bucket(Bucket="compat-browser-closed")
    put = s3.generate_presigned_url("put_object", Params={"Bucket": "compat-browser-closed", "Key": "x.txt"}, ExpiresIn=300)
    get = s3.generate_presigned_url("get_object", Params={"Bucket": "compat-browser-closed", "Key": "x.txt"}, ExpiresIn=300)
    assert upload_from_page(browser, page_origin, put, get) == "refused:TypeError"
    assert "Contents" not in s3.list_objects_v2(Bucket="compat-browser-closed")


def test_a_page_uploads_with_a_presigned_post_form(server, browser, page_origin, tmp_path):
    """The form flow: a page builds a form from generate_presigned_post's fields, the user
    picks a file, the browser posts it to the bucket and S3 redirects back to the page."""
    s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket="compat-browser-form")
    post = s3.generate_presigned_post(Bucket="compat-browser-form", Key="forms/${filename}", ExpiresIn=300,
                                      Fields={"success_action_redirect": page_origin + "/done"},
                                      Conditions=[["eq", "$success_action_redirect", page_origin + "/done"], ["content-length-range", 1, 4096]])
    picked = tmp_path / "picked file.txt"
    picked.write_bytes(b"chosen by the user")
    browser.get(page_origin + "/")
    browser.execute_script("""
        const form = document.createElement("form");
        form.method = "POST"; form.enctype = "multipart/form-data"; form.action = arguments[0];
        for (const [name, value] of Object.entries(arguments[1])) {
            const input = document.createElement("input");
            input.type = "hidden"; input.name = name; input.value = value; form.appendChild(input);
        }
        const file = document.createElement("input");
        file.type = "file"; file.name = "file"; file.id = "file"; form.appendChild(file);
        form.id = "upload"; document.body.appendChild(form);
    """, post["url"], post["fields"])
    browser.find_element("id", "file").send_keys(str(picked))
    browser.execute_script("document.getElementById('upload').submit()")
    deadline = time.time() + 20
    while time.time() < deadline and not browser.current_url.startswith(page_origin + "/done"):
        time.sleep(0.1)
    from urllib.parse import parse_qs, urlparse
    back = parse_qs(urlparse(browser.current_url).query)
    assert back["bucket"] == ["compat-browser-form"] and back["key"] == ["forms/picked file.txt"], browser.current_url
    assert s3.get_object(Bucket="compat-browser-form", Key="forms/picked file.txt")["Body"].read() == b"chosen by the user"
