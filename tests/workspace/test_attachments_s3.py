"""Attachments on S3-compatible storage (issue 14.4): the same upload and download, with the
``attachments`` storage alias pointed at a bucket by settings (django-storages' S3 backend), as
``KMCS_ATTACHMENTS_S3_BUCKET`` does in ``kmcs_site/settings/base.py``.

The bucket is a real S3 HTTP server on 127.0.0.1 (moto's server, started here): the objects
are written and read over HTTP with signed requests, nothing of ours is mocked.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import CaseAttachment
from tests.workspace.conftest import messages_of
from tests.workspace.test_attachments import png

pytest.importorskip("storages.backends.s3")
moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")

pytestmark = pytest.mark.django_db

BUCKET = "kmcs-attachments-test"
KEYS = {"access_key": "test-access", "secret_key": "test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    storages = {name: dict(conf) for name, conf in settings.STORAGES.items()}
    storages["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": s3_endpoint,
            "region_name": "us-east-1",
            **KEYS,
            "location": "kmcs",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    settings.STORAGES = storages
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_upload_goes_to_the_bucket_and_downloads_through_the_workspace(
    staff, make_case, client_for, bucket
):
    case = make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    url = reverse("workspace:case_attachment_add", kwargs={"case_id": case.pk})
    data = png()
    client.post(url, {"file": SimpleUploadedFile("캡처.png", data), "kind": "other"})
    attachment = CaseAttachment.objects.get(case=case)
    keys = _keys(bucket)
    expected = sorted([f"kmcs/{attachment.file.name}", f"kmcs/{attachment.thumbnail.name}"])
    assert keys == expected, keys
    assert all("캡처" not in key for key in keys)  # generated names only
    stored = bucket.get_object(Bucket=BUCKET, Key=f"kmcs/{attachment.file.name}")
    assert stored["Body"].read() == data

    kwargs = {"case_id": case.pk, "attachment_id": attachment.pk}
    response = client.get(reverse("workspace:case_attachment", kwargs=kwargs))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == data
    # Streamed by the workspace after the visibility check, never a link to the bucket.
    page = client.get(reverse("workspace:case", kwargs={"case_id": case.pk})).content.decode()
    assert BUCKET not in page and "X-Amz" not in page


def test_refused_upload_writes_nothing_to_the_bucket(staff, make_case, client_for, bucket):
    case = make_case(assignee=staff.agent)
    url = reverse("workspace:case_attachment_add", kwargs={"case_id": case.pk})
    response = client_for(staff.agent).post(
        url, {"file": SimpleUploadedFile("notice.jpg", b"%PDF-1.4\n%%EOF\n"), "kind": "other"}
    )
    assert any("실제 내용(PDF)" in m for m in messages_of(response)), messages_of(response)
    assert _keys(bucket) == []
    assert not CaseAttachment.objects.filter(case=case).exists()
