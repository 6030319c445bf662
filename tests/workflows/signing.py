"""Finance decisions signed as the API signs them, with a key these tests' workflows trust, at the test server's
time (which the time-skipping server moves ahead of the wall clock)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.testing import WorkflowEnvironment

from workflows.approvals import Signed, sign_decision, trust_decision_keys

APPROVAL_KEY = Ed25519PrivateKey.generate()
trust_decision_keys([APPROVAL_KEY.public_key()])


async def signed(env: WorkflowEnvironment, decision: Signed, workflow_id: str, version: int = 1,
                 key: Ed25519PrivateKey = APPROVAL_KEY) -> Signed:
    return sign_decision(decision, workflow_id, version, key, await env.get_current_time())
