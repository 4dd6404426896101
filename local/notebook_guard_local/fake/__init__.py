"""A faithful fake of the AWS behaviour moto does not simulate, layered on moto (in-process or server).

- ``FakeNotebooks``: notebook instances pass through Pending / Stopping / Deleting / Updating over a
  configurable number of Describe polls (or seconds of a virtual clock), illegal calls fail with AWS's error
  text, ``UpdateNotebookInstance`` exists, and PlatformIdentifier, IMDS and IpAddressType survive.
- ``Faults``: make a named call (``"sagemaker:DeleteNotebookInstance"``) fail with throttling, a 500 or
  access denied, once, a few times, always or while a condition holds; or let it take effect and lose its
  answer (``lost-response``); every call is recorded, so tests can enumerate call sites.

Both patch moto's classes (or botocore's built-in handlers), so they work with ``mock_aws`` and with a
``ThreadedMotoServer`` running in the same process. Not Lambda runtime code.
"""

from notebook_guard_local.fake.faults import FAULT_KINDS, LOST_RESPONSE, Fault, Faults
from notebook_guard_local.fake.notebooks import FakeNotebooks, Timeline

__all__ = ["FAULT_KINDS", "LOST_RESPONSE", "FakeNotebooks", "Fault", "Faults", "Timeline"]
