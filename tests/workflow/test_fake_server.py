"""The fake also works with a moto server in this process (what the demo uses)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from notebook_guard_local.fake import FakeNotebooks, Faults


@pytest.fixture
def server_client():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    try:
        with Faults() as faults, FakeNotebooks() as fake:
            # A session created after Faults is installed (Faults hooks sessions at creation).
            session = boto3.session.Session()
            client = session.client("sagemaker", region_name="us-east-1", endpoint_url=f"http://{host}:{port}")
            # The fake refuses a notebook whose execution role does not exist, as SageMaker does.
            session.client("iam", region_name="us-east-1", endpoint_url=f"http://{host}:{port}").create_role(
                RoleName="r", AssumeRolePolicyDocument="{}"
            )
            yield client, fake, faults
    finally:
        server.stop()


def test_fake_notebooks_and_faults_over_a_moto_server(server_client):
    client, _fake, faults = server_client
    client.create_notebook_instance(
        NotebookInstanceName="nb",
        InstanceType="ml.t3.medium",
        RoleArn="arn:aws:iam::123456789012:role/r",
        PlatformIdentifier="notebook-al2-v3",
    )
    first = client.describe_notebook_instance(NotebookInstanceName="nb")
    assert first["NotebookInstanceStatus"] == "Pending" and first["PlatformIdentifier"] == "notebook-al2-v3"
    with pytest.raises(ClientError, match=r"Status \(Pending\) not in \(\[InService\]\)"):
        client.stop_notebook_instance(NotebookInstanceName="nb")
    faults.inject("sagemaker:DescribeNotebookInstance", "access-denied", times=1)
    with pytest.raises(ClientError, match="AccessDenied"):
        client.describe_notebook_instance(NotebookInstanceName="nb")
    assert client.describe_notebook_instance(NotebookInstanceName="nb")["NotebookInstanceStatus"] == "InService"
