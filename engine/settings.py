"""Engine settings: read once from the environment (prefix ``ENGINE_``) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the daemon and of the local development stack.

    Nothing reads the environment after this object is built; the composition root
    hands it (or the part a component needs) to each component.
    """

    model_config = SettingsConfigDict(env_prefix="ENGINE_", extra="ignore", frozen=True)

    # HTTP façade
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    http_keepalive_seconds: float = Field(default=15.0, gt=0)  # idle keep-alive connections
    http_lingering_seconds: float = Field(default=5.0, gt=0)  # drain a refused body, then close
    http_max_line_bytes: int = Field(default=8190, ge=1024)  # request line (URL)
    http_max_field_bytes: int = Field(default=8190, ge=1024)  # one header
    http_max_headers: int = Field(default=64, ge=16)
    http_max_header_bytes: int = Field(default=32 * 1024, ge=4096)  # all headers together

    # PostgreSQL
    db_host: str = "127.0.0.1"
    db_port: int = Field(default=5433, ge=1, le=65535)
    db_name: str = "cpaas"
    db_user: str = "cpaas"
    db_password: SecretStr = SecretStr("cpaas")
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=20, ge=1)

    # Asterisk ARI (loopback only)
    ari_url: str = "http://127.0.0.1:8088"
    ari_user: str = "cpaas"
    ari_password: SecretStr = SecretStr("cpaas-ari-secret")
    ari_app: str = "cpaas-engine"

    # Asterisk AMI (loopback only)
    ami_host: str = "127.0.0.1"
    ami_port: int = Field(default=5038, ge=1, le=65535)
    ami_user: str = "cpaas"
    ami_password: SecretStr = SecretStr("cpaas-ami-secret")

    # Telephony
    agent_password: SecretStr = SecretStr("agent-secret")
    agent_extensions: Annotated[tuple[str, ...], NoDecode] = ("101", "102", "103", "104", "105")
    trunk_host: str = "127.0.0.1"
    trunk_port: int = Field(default=5080, ge=1, le=65535)
    trunk_endpoint: str = "carrier"
    default_region: str = "US"
    dial_timeout_seconds: int = Field(default=30, ge=1, le=600)

    # Reconnect policy for ARI and AMI
    reconnect_initial_seconds: float = Field(default=0.5, gt=0)
    reconnect_max_seconds: float = Field(default=10.0, gt=0)

    # Lifecycle
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    bootstrap_accounts: str = ""
    log_level: str = "INFO"

    # Files
    var_dir: Path = Path("var")
    # Where the PBX writes recordings, as seen from the engine's side of the chroot.
    # Empty means <var_dir>/asterisk/pbx/spool/recording (the local stack's layout).
    recordings_path: Path | None = None
    # Asterisk's CEL witness file (cel_custom), as seen from the engine's side. Empty means
    # <var_dir>/asterisk/pbx/log/cel-custom/engine-cel.json (the local stack's layout).
    cel_path: Path | None = None

    # File store (the account's uploaded files: CSV lists, recorded announcements).
    # "local": <files_path>/<account_id>/<name>, files_path empty = <var_dir>/files.
    # "s3": s3_bucket, keys <s3_prefix><account_id>/<name>; s3_endpoint_url empty = AWS.
    file_store: Literal["local", "s3"] = "local"
    files_path: Path | None = None
    file_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)  # one upload (413 above)
    file_convert_seconds: float = Field(default=120.0, gt=0)  # sox on an uploaded .wav
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")

    # Text-to-speech
    # Where the engine writes speech audio; empty means <var_dir>/asterisk/pbx/tts.
    tts_path: Path | None = None
    # The same directory as the PBX sees it (inside its chroot); empty means
    # /srv/<stack_name>/pbx/tts, where the local stack bind-mounts <var_dir>/asterisk.
    tts_pbx_path: Path | None = None
    tts_cache_max_bytes: int = Field(default=256 * 1024 * 1024, ge=1024 * 1024)
    tts_workers: int = Field(default=2, ge=1, le=32)  # threads for the neural engine
    tts_max_concurrent: int = Field(default=4, ge=1, le=256)  # engine runs at a time
    tts_timeout_seconds: float = Field(default=30.0, gt=0)

    # The Plivo-compatible API fetches user-given URLs (answer_url, action URLs, webhooks,
    # <Play> audio). Link-local and metadata addresses are always refused; private ranges
    # and loopback only where allowed here (the dev stack and the tests allow loopback).
    # How applications reach this engine (recording URLs in webhooks); default: http_host/port.
    public_url: str = ""
    webhook_allow_private: bool = False
    webhook_allow_loopback: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=5, ge=1, le=20)  # status callbacks
    webhook_max_response_bytes: int = Field(default=256 * 1024, ge=1024)
    play_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)  # one <Play> file
    # The key that seals account tokens (webhooks are signed with them); made on first use.
    secret_key_path: Path | None = None
    # Account limits: defaults for accounts the CLI has not set limits for.
    default_max_concurrent_calls: int = Field(default=50, ge=1)
    default_calls_per_second: float = Field(default=10.0, gt=0)
    api_call_queue_limit: int = Field(default=500, ge=0)  # queued calls per account

    # Campaign dialer: caps for the whole engine process, over every account's campaigns
    # (each account's own limits apply too); campaigns share them by earliest due call.
    dialer_max_concurrent_calls: int = Field(default=100, ge=1)
    dialer_max_calls_per_second: float = Field(default=10.0, gt=0)
    # A claimed attempt with no call after this long was claimed by an engine that died
    # before dialling: it is dialled again (once).
    dialer_claim_lease_seconds: float = Field(default=30.0, gt=0)
    # The circuit breaker: among a campaign's last ``window`` outcomes, at least
    # ``threshold`` CHANUNAVAIL/CONGESTION (and ``min_outcomes`` seen) suspends it.
    dialer_breaker_window: int = Field(default=20, ge=2)
    dialer_breaker_min_outcomes: int = Field(default=10, ge=1)
    dialer_breaker_threshold: float = Field(default=0.6, gt=0, le=1)

    # Campaigns: the highest calls_per_minute create_campaign accepts for one campaign.
    dialer_max_calls_per_minute: int = Field(default=600, ge=1)

    # Contact imports: a CSV of at most import_sync_max_bytes is answered once imported
    # (≤ 60 s); a larger one at once with its job id (202). Rows are validated in
    # import_workers processes (0: a thread); one engine runs import_max_running jobs at once.
    import_sync_max_bytes: int = Field(default=2 * 1024 * 1024, ge=0)
    import_workers: int = Field(default=2, ge=0, le=32)
    import_max_running: int = Field(default=2, ge=1, le=32)

    # Local stack (``python -m engine.devstack``): the PBX and the simulated carrier run
    # from one Asterisk root; these only matter to the stack tooling, not the daemon.
    asterisk_root: Path = Path("/var/cache/cpaas-engine/asterisk-root")
    stack_name: str = Field(default="cpaas", pattern=r"^[a-z][a-z0-9-]{0,30}$")
    sip_host: str = "127.0.0.1"
    sip_port: int = Field(default=5060, ge=1, le=65535)
    carrier_ami_port: int = Field(default=5039, ge=1, le=65535)
    simulated_agents: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("agent_extensions", "simulated_agents", mode="before")
    @classmethod
    def _split_extensions(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def dsn(self) -> str:
        """libpq connection string for asyncpg."""
        password = self.db_password.get_secret_value()
        return (
            f"postgresql://{self.db_user}:{password}@{self.db_host}:{self.db_port}/{self.db_name}"
        )

    @property
    def credentials_file(self) -> Path:
        return self.var_dir / "credentials.json"

    @property
    def journal_path(self) -> Path:
        """The outbox's local spool of call snapshots the database has not taken yet."""
        return self.var_dir / "spool" / "call-journal.jsonl"

    @property
    def cel_file(self) -> Path:
        if self.cel_path is not None:
            return self.cel_path
        return self.var_dir / "asterisk" / "pbx" / "log" / "cel-custom" / "engine-cel.json"

    @property
    def tts_dir(self) -> Path:
        """Where the engine writes speech audio."""
        if self.tts_path is not None:
            return self.tts_path
        return self.var_dir / "asterisk" / "pbx" / "tts"

    @property
    def tts_pbx_dir(self) -> Path:
        """``tts_dir`` as the PBX sees it, for ``sound:`` URIs."""
        if self.tts_pbx_path is not None:
            return self.tts_pbx_path
        return Path("/srv") / self.stack_name / "pbx" / "tts"

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.http_host}:{self.http_port}"

    @property
    def secret_key_file(self) -> Path:
        if self.secret_key_path is not None:
            return self.secret_key_path
        return self.var_dir / "secret.key"

    @property
    def recordings_dir(self) -> Path:
        if self.recordings_path is not None:
            return self.recordings_path
        return self.var_dir / "asterisk" / "pbx" / "spool" / "recording"

