"""boto3's s3 client and the aws CLI against Baton's object store: buckets, objects streamed
in and out, listings, copies, multipart uploads, virtual-host addressing, and an upload cut
by kill -9 that leaves nothing behind."""
import hashlib
import http.client
import json
import os
import signal
import subprocess
import tempfile

import boto3
import pytest
from botocore.config import Config

from conftest import Server


@pytest.fixture
def s3(server):
    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))


def test_objects_round_trip_with_their_metadata_ranges_and_listings(s3):
    s3.create_bucket(Bucket="compat-docs")
    assert "compat-docs" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    put = s3.put_object(Bucket="compat-docs", Key="a/b.txt", Body=b"hello world", ContentType="text/plain",
                        Metadata={"who": "ana"})
    assert put["ETag"] == '"%s"' % hashlib.md5(b"hello world").hexdigest()
    got = s3.get_object(Bucket="compat-docs", Key="a/b.txt")
    assert got["Body"].read() == b"hello world" and got["ContentType"] == "text/plain" and got["Metadata"] == {"who": "ana"}
    assert s3.get_object(Bucket="compat-docs", Key="a/b.txt", Range="bytes=6-")["Body"].read() == b"world"
    for k in ["a/c.txt", "b/d.txt", "top.txt"]:
        s3.put_object(Bucket="compat-docs", Key=k, Body=k.encode())
    listed = s3.list_objects_v2(Bucket="compat-docs", Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["top.txt"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["a/", "b/"]
    first = s3.list_objects_v2(Bucket="compat-docs", MaxKeys=2)
    second = s3.list_objects_v2(Bucket="compat-docs", MaxKeys=2, ContinuationToken=first["NextContinuationToken"])
    assert [o["Key"] for o in first["Contents"] + second["Contents"]] == ["a/b.txt", "a/c.txt", "b/d.txt", "top.txt"]
    assert not second["IsTruncated"]
    s3.copy_object(Bucket="compat-docs", Key="copy.txt", CopySource={"Bucket": "compat-docs", "Key": "a/b.txt"})
    assert s3.get_object(Bucket="compat-docs", Key="copy.txt")["Body"].read() == b"hello world"
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="compat-docs", Key="missing")
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.list_objects_v2(Bucket="no-such-bucket")
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.delete_bucket(Bucket="compat-docs")
    assert e.value.response["Error"]["Code"] == "BucketNotEmpty"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="compat-docs")["Contents"]]
    s3.delete_objects(Bucket="compat-docs", Delete={"Objects": [{"Key": k} for k in keys]})
    s3.delete_bucket(Bucket="compat-docs")


def test_a_multipart_upload_has_awss_etag(s3):
    s3.create_bucket(Bucket="compat-multi")
    big = os.urandom(5 * 1024 * 1024)
    upload = s3.create_multipart_upload(Bucket="compat-multi", Key="big.bin")["UploadId"]
    e1 = s3.upload_part(Bucket="compat-multi", Key="big.bin", UploadId=upload, PartNumber=1, Body=big)["ETag"]
    e2 = s3.upload_part(Bucket="compat-multi", Key="big.bin", UploadId=upload, PartNumber=2, Body=b"tail")["ETag"]
    done = s3.complete_multipart_upload(Bucket="compat-multi", Key="big.bin", UploadId=upload,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    expected = hashlib.md5(hashlib.md5(big).digest() + hashlib.md5(b"tail").digest()).hexdigest() + "-2"
    assert done["ETag"] == '"%s"' % expected
    assert s3.get_object(Bucket="compat-multi", Key="big.bin")["Body"].read() == big + b"tail"
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.upload_part(Bucket="compat-multi", Key="big.bin", UploadId=upload, PartNumber=3, Body=b"x")


def test_the_cli_copies_a_large_file_up_and_down(server, tmp_path):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    cli = ["aws", "--endpoint-url", server.endpoint]
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(20 * 1024 * 1024))  # past the CLI's 8 MB threshold: a multipart upload
    subprocess.run(cli + ["s3", "mb", "s3://compat-cli"], check=True, env=env, capture_output=True)
    subprocess.run(cli + ["s3", "cp", "--only-show-errors", str(source), "s3://compat-cli/dir/big.bin"], check=True, env=env)
    listed = subprocess.run(cli + ["s3", "ls", "s3://compat-cli", "--recursive"], check=True, env=env, capture_output=True, text=True)
    assert "dir/big.bin" in listed.stdout and str(20 * 1024 * 1024) in listed.stdout
    back = tmp_path / "back.bin"
    subprocess.run(cli + ["s3", "cp", "--only-show-errors", "s3://compat-cli/dir/big.bin", str(back)], check=True, env=env)
    assert back.read_bytes() == source.read_bytes()
    head = json.loads(subprocess.run(cli + ["s3api", "head-object", "--bucket", "compat-cli", "--key", "dir/big.bin"],
                                     check=True, env=env, capture_output=True, text=True).stdout)
    assert head["ContentLength"] == 20 * 1024 * 1024 and head["ETag"].endswith('-3"')
    subprocess.run(cli + ["s3", "rb", "s3://compat-cli", "--force"], check=True, env=env, capture_output=True)


def request(server, method, path, host, body=b"", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.request(method, path, body=body, headers=dict({"Host": host}, **(headers or {})))
    r = c.getresponse()
    return r.status, r.read(), dict(r.getheaders())


def test_a_bucket_named_by_the_host_and_an_upload_cut_by_kill_9():
    with tempfile.TemporaryDirectory() as d:
        s = Server(os.path.join(d, "data")).start()
        try:
            host = "compat-host.s3.localhost"
            assert request(s, "PUT", "/", host)[0] == 200
            assert request(s, "PUT", "/kept.txt", host, b"kept")[0] == 200
            status, body, _ = request(s, "GET", "/kept.txt", host)
            assert (status, body) == (200, b"kept")
            # Half of a 10 MB body, then the server dies.
            c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
            c.putrequest("PUT", "/cut.bin", skip_host=True)
            c.putheader("Host", host)
            c.putheader("Content-Length", str(10 * 1024 * 1024))
            c.endheaders()
            c.send(os.urandom(5 * 1024 * 1024))
            s.stop(signal.SIGKILL)
            c.close()
            s.start()
            assert request(s, "HEAD", "/cut.bin", host)[0] == 404
            assert request(s, "GET", "/kept.txt", host)[1] == b"kept"
            # No file is left on disk: the cut upload's was swept at start, and the kept object,
            # small, is stored with its row in the database.
            assert os.listdir(os.path.join(d, "data", "objects")) == []
            status, body, _ = request(s, "GET", "/?list-type=2", host)
            assert b"<Key>kept.txt</Key>" in body and b"cut.bin" not in body
        finally:
            s.stop()


@pytest.fixture
def signed_endpoint(tmp_path):
    """A server that requires signatures (key AKIDBATON / secret)."""
    import socket
    import time
    from conftest import BATON, free_port
    port = free_port()
    proc = subprocess.Popen([BATON, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--access-key-id", "AKIDBATON",
                             "--secret-access-key", "secret", "--require-signature"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield "http://127.0.0.1:%d" % port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def signed_client(endpoint, secret="secret", version="s3v4"):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIDBATON",
                        aws_secret_access_key=secret, config=Config(s3={"addressing_style": "path"}, signature_version=version))


@pytest.mark.parametrize("version", ["s3v4", "s3"])
def test_presigned_urls_work_and_a_wrong_signature_is_refused(signed_endpoint, version):
    """A function hands a browser presigned URLs: the PUT and the GET need no credentials of
    their own, and pass the endpoint's verifier (signatures required here), in SigV4 and in
    S3's signature version 2 (boto3's default for presigned URLs)."""
    import urllib.error
    import urllib.request
    s3 = signed_client(signed_endpoint, version=version)
    bucket = "compat-presigned-" + version.replace("3", "three")
    s3.create_bucket(Bucket=bucket)
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up load.txt"}, ExpiresIn=300)
    # Sent with no Content-Type (version 2 signs it; urllib would add a form type on its own).
    import requests
    assert requests.put(put, data=b"from the browser").status_code == 200
    get = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "up load.txt"}, ExpiresIn=300)
    assert urllib.request.urlopen(get).read() == b"from the browser"
    forged = signed_client(signed_endpoint, "wrong", version).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "up load.txt"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(forged)
    assert e.value.code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in e.value.read()
    expired = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "up load.txt"}, ExpiresIn=-1)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(expired)
    # Version 2 names an instant (already past); SigV4 a duration, which must be positive.
    assert e.value.code == 403 and (b"Request has expired" if version == "s3" else b"X-Amz-Expires must be") in e.value.read()


@pytest.mark.parametrize("version", ["s3v4", "s3"])
def test_a_presigned_post_form_uploads_within_its_policy(signed_endpoint, version):
    """A browser's form upload: the fields boto3's generate_presigned_post gives, the file
    last; the policy's conditions hold or the upload is refused with AWS's error."""
    import requests
    s3 = signed_client(signed_endpoint, version=version)
    bucket = "compat-post-" + version.replace("3", "three")
    s3.create_bucket(Bucket=bucket)
    post = s3.generate_presigned_post(
        Bucket=bucket, Key="uploads/${filename}", ExpiresIn=300,
        Fields={"success_action_status": "201", "Content-Type": "text/csv", "x-amz-meta-owner": "ana"},
        Conditions=[["eq", "$success_action_status", "201"], ["starts-with", "$Content-Type", "text/"], {"x-amz-meta-owner": "ana"},
                    ["content-length-range", 1, 1024]])
    r = requests.post(post["url"], data=post["fields"], files={"file": ("day 1.csv", b"a,b\n1,2\n")})
    assert r.status_code == 201, r.text
    assert "<Key>uploads/day 1.csv</Key>" in r.text and r.headers["ETag"] == '"%s"' % hashlib.md5(b"a,b\n1,2\n").hexdigest()
    got = s3.get_object(Bucket=bucket, Key="uploads/day 1.csv")
    assert got["Body"].read() == b"a,b\n1,2\n" and got["ContentType"] == "text/csv" and got["Metadata"] == {"owner": "ana"}

    def refused(fields, content=b"x"):
        r = requests.post(post["url"], data=fields, files={"file": ("x.csv", content)})
        return r.status_code, r.text
    status, text = refused(post["fields"], b"x" * 2000)
    assert status == 400 and "<Code>EntityTooLarge</Code>" in text and "<MaxSizeAllowed>1024</MaxSizeAllowed>" in text
    status, text = refused(dict(post["fields"], **{"Content-Type": "image/png"}))
    assert status == 403 and "Policy Condition failed" in text
    status, text = refused(dict(post["fields"], **{"x-amz-meta-extra": "1"}))
    assert status == 403 and "Extra input fields: x-amz-meta-extra" in text
    status, text = refused(dict(post["fields"], policy=post["fields"]["policy"][:-4]))
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text
    signature = "x-amz-signature" if version == "s3v4" else "signature"
    status, text = refused({k: v for k, v in post["fields"].items() if k != signature})
    assert status == 400 and "Bucket POST must contain a field named" in text
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["uploads/day 1.csv"], "no refused upload left an object"


def test_acls_and_object_attributes_are_kept_and_given_back(s3):
    s3.create_bucket(Bucket="compat-acl")
    owner = s3.list_buckets()["Owner"]
    assert s3.get_bucket_acl(Bucket="compat-acl")["Grants"] == [{"Grantee": {"ID": owner["ID"], "Type": "CanonicalUser"},
                                                                 "Permission": "FULL_CONTROL"}]
    s3.put_bucket_acl(Bucket="compat-acl", ACL="public-read")
    assert [g["Permission"] for g in s3.get_bucket_acl(Bucket="compat-acl")["Grants"]] == ["FULL_CONTROL", "READ"]
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.put_bucket_acl(Bucket="compat-acl", ACL="fake-acl")
    assert e.value.response["Error"]["Code"] == "InvalidArgument" and e.value.response["Error"]["ArgumentName"] == "x-amz-acl"
    s3.put_object(Bucket="compat-acl", Key="doc.txt", Body=b"hello", ACL="public-read")
    assert s3.get_object_acl(Bucket="compat-acl", Key="doc.txt")["Grants"][1]["Grantee"]["URI"] == "http://acs.amazonaws.com/groups/global/AllUsers"
    s3.put_object_acl(Bucket="compat-acl", Key="doc.txt", GrantRead='uri="http://acs.amazonaws.com/groups/s3/LogDelivery"')
    assert s3.get_object_acl(Bucket="compat-acl", Key="doc.txt")["Grants"] == [
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"}, "Permission": "READ"}]
    attributes = s3.get_object_attributes(Bucket="compat-acl", Key="doc.txt", ObjectAttributes=["ObjectSize", "ETag", "StorageClass"])
    assert (attributes["ObjectSize"], attributes["ETag"], attributes["StorageClass"]) == (5, hashlib.md5(b"hello").hexdigest(), "STANDARD")
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.get_object_attributes(Bucket="compat-acl", Key="missing", ObjectAttributes=["ObjectSize"])
    assert e.value.response["Error"]["Code"] == "NoSuchKey"


def test_s3s_request_checks(s3):
    """Storage classes, encoding types, the expected bucket owner, copy-source conditions and an
    empty tag set, answered as AWS's recordings answer them."""
    s3.create_bucket(Bucket="compat-checks")

    def code(call):
        with pytest.raises(s3.exceptions.ClientError) as e:
            call()
        return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]
    assert code(lambda: s3.put_object(Bucket="compat-checks", Key="k", Body=b"x", StorageClass="OUTPOSTS")) == ("InvalidStorageClass", 400)
    raw = boto3.client("s3", endpoint_url=s3.meta.endpoint_url, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}, parameter_validation=False))
    assert code(lambda: raw.list_objects_v2(Bucket="compat-checks", EncodingType="value")) == ("InvalidArgument", 400)
    assert code(lambda: s3.list_objects_v2(Bucket="compat-checks", ExpectedBucketOwner="111111111111")) == ("AccessDenied", 403)
    assert code(lambda: s3.list_objects_v2(Bucket="compat-checks", ExpectedBucketOwner="abcd")) == ("InvalidBucketOwnerAWSAccountID", 400)
    s3.list_objects_v2(Bucket="compat-checks", ExpectedBucketOwner=s3.list_buckets()["Owner"]["ID"])
    etag = s3.put_object(Bucket="compat-checks", Key="src", Body=b"source")["ETag"]
    assert code(lambda: s3.copy_object(Bucket="compat-checks", Key="dst", CopySource="compat-checks/src",
                                       CopySourceIfNoneMatch=etag)) == ("PreconditionFailed", 412)
    copied = s3.copy_object(Bucket="compat-checks", Key="dst", CopySource="compat-checks/src", CopySourceIfMatch=etag)
    assert copied["CopyObjectResult"]["ETag"] == etag
    # A copy asked for another algorithm gets that checksum of its bytes.
    import base64
    rehashed = s3.copy_object(Bucket="compat-checks", Key="dst", CopySource="compat-checks/src", ChecksumAlgorithm="SHA256")
    assert rehashed["CopyObjectResult"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"source").digest()).decode()
    assert "ChecksumCRC32" not in rehashed["CopyObjectResult"]
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket="compat-checks")
    s3.put_bucket_accelerate_configuration(Bucket="compat-checks", AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket="compat-checks")["Status"] == "Enabled"
    assert code(lambda: s3.put_bucket_accelerate_configuration(Bucket="compat-checks", AccelerateConfiguration={"Status": "enabled"})) == (
        "MalformedXML", 400)
    assert s3.get_bucket_request_payment(Bucket="compat-checks")["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket="compat-checks", RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket="compat-checks")["Payer"] == "Requester"
    assert code(lambda: s3.get_bucket_replication(Bucket="no-such-bucket-here")) == ("NoSuchBucket", 404)
    # A listing's elements in AWS's order (the Java SDK reads them so): Name first, Contents last.
    port = int(s3.meta.endpoint_url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/", headers={"Host": "compat-checks.s3.localhost:%d" % port})
    listing = conn.getresponse().read().decode()
    assert listing.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert listing.index("<Name>") < listing.index("<MaxKeys>") < listing.index("<IsTruncated>") < listing.index("<Contents>")
    assert listing.rindex("</Contents>") + len("</Contents>") == listing.index("</ListBucketResult>")
    s3.put_bucket_tagging(Bucket="compat-checks", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    s3.put_bucket_tagging(Bucket="compat-checks", Tagging={"TagSet": []})
    assert code(lambda: s3.get_bucket_tagging(Bucket="compat-checks")) == ("NoSuchTagSet", 404)


def test_versioning_keeps_versions_and_delete_markers(s3):
    s3.create_bucket(Bucket="compat-versions")
    s3.put_object(Bucket="compat-versions", Key="k", Body=b"before")
    s3.put_bucket_versioning(Bucket="compat-versions", VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket="compat-versions")["Status"] == "Enabled"
    assert s3.get_object(Bucket="compat-versions", Key="k")["VersionId"] == "null", "an object from before versioning"
    v1 = s3.put_object(Bucket="compat-versions", Key="k", Body=b"v1")["VersionId"]
    v2 = s3.put_object(Bucket="compat-versions", Key="k", Body=b"v2")["VersionId"]
    tagged = s3.put_object_tagging(Bucket="compat-versions", Key="k", VersionId=v1, Tagging={"TagSet": [{"Key": "old", "Value": "yes"}]})
    assert tagged["VersionId"] == v1
    assert s3.get_object_tagging(Bucket="compat-versions", Key="k", VersionId=v1)["TagSet"] == [{"Key": "old", "Value": "yes"}]
    assert s3.get_object_tagging(Bucket="compat-versions", Key="k")["TagSet"] == [], "the current version's tags are its own"
    assert s3.get_object(Bucket="compat-versions", Key="k")["VersionId"] == v2
    assert s3.get_object(Bucket="compat-versions", Key="k", VersionId=v1)["Body"].read() == b"v1"
    assert s3.get_object(Bucket="compat-versions", Key="k", VersionId="null")["Body"].read() == b"before"
    marker = s3.delete_object(Bucket="compat-versions", Key="k")
    assert marker["DeleteMarker"] is True
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="compat-versions", Key="k")
    listed = s3.list_object_versions(Bucket="compat-versions")
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [(v2, False), (v1, False), ("null", False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker["VersionId"], True)]
    s3.delete_object(Bucket="compat-versions", Key="k", VersionId=marker["VersionId"])
    assert s3.get_object(Bucket="compat-versions", Key="k")["Body"].read() == b"v2"
    s3.put_bucket_versioning(Bucket="compat-versions", VersioningConfiguration={"Status": "Suspended"})
    # AWS answers a Suspended bucket's put with no version id; the object is the null version.
    assert "VersionId" not in s3.put_object(Bucket="compat-versions", Key="k", Body=b"s")
    assert s3.head_object(Bucket="compat-versions", Key="k")["VersionId"] == "null"
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.delete_bucket(Bucket="compat-versions")
    assert e.value.response["Error"]["Code"] == "BucketNotEmpty"
    versions = s3.list_object_versions(Bucket="compat-versions")["Versions"]
    s3.delete_objects(Bucket="compat-versions", Delete={"Objects": [{"Key": "k", "VersionId": v["VersionId"]} for v in versions]})
    assert "Versions" not in s3.list_object_versions(Bucket="compat-versions")
    s3.delete_bucket(Bucket="compat-versions")
