"""Settings of the stack the integration tests start (ports and var dir of its own)."""

from __future__ import annotations

import os

TEST_ENV = {
    "ENGINE_VAR_DIR": "var/test",
    "ENGINE_STACK_NAME": "cpaas-test",
    "ENGINE_HTTP_PORT": "18080",
    "ENGINE_DB_PORT": "15433",
    "ENGINE_ARI_URL": "http://127.0.0.1:18088",
    "ENGINE_AMI_PORT": "15038",
    "ENGINE_SIP_PORT": "15060",
    "ENGINE_TRUNK_PORT": "15080",
    "ENGINE_CARRIER_AMI_PORT": "15039",
    "ENGINE_SIMULATED_AGENTS": "101,102,103,104,105",
    "ENGINE_BOOTSTRAP_ACCOUNTS": "account_1:test-token-1,account_2:test-token-2",
    "ENGINE_DIAL_TIMEOUT_SECONDS": "4",
    "ENGINE_SHUTDOWN_GRACE_SECONDS": "3",
    "ENGINE_RECONNECT_MAX_SECONDS": "1",
    "ENGINE_LOG_LEVEL": "INFO",
    # The tests' webhook servers listen on loopback.
    "ENGINE_WEBHOOK_ALLOW_LOOPBACK": "true",
    # Account limits are proven by their own tests (which set them per account); others
    # place calls back to back without meeting the production pacing of 10 calls/s.
    "ENGINE_DEFAULT_CALLS_PER_SECOND": "500",
    "ENGINE_DEFAULT_MAX_CONCURRENT_CALLS": "500",
}

ACCOUNT_1 = {"account": "account_1", "auth": "test-token-1"}
ACCOUNT_2 = {"account": "account_2", "auth": "test-token-2"}
BASE_URL = f"http://127.0.0.1:{TEST_ENV['ENGINE_HTTP_PORT']}"


def apply_test_env() -> None:
    os.environ.update(TEST_ENV)
