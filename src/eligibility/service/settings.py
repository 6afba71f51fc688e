"""Service configuration: defaults, then a YAML or TOML file, then ``ELIGIBILITY_*`` environment
variables, then command-line options (each overriding the one before)."""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

from ..errors import EligibilityError

SETTINGS_ENV = "ELIGIBILITY_SERVICE_SETTINGS"
"""Where ``eligibility serve`` hands the resolved settings (JSON) to its worker processes."""


class ServiceSettings(BaseSettings):
    """Every setting of the decision service; the environment variable of ``x`` is ``ELIGIBILITY_X``."""

    model_config = SettingsConfigDict(env_prefix="ELIGIBILITY_", extra="forbid")

    rules: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="rule files, folders or bundled packs, comma-separated in the environment"
                                          " (none: all bundled)")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    auth: bool | None = Field(None, description="require a bearer token; None: only when not bound to loopback")
    tokens: SecretStr | None = Field(None, description="accepted bearer tokens, comma-separated")
    tokens_file: Path | None = Field(None, description="a file of accepted bearer tokens, one per line")
    admin_tokens: SecretStr | None = Field(None, description="tokens for /v1/admin/*, comma-separated")
    admin_tokens_file: Path | None = None
    max_body_bytes: int = Field(10 * 2**20, ge=1024, description="largest JSON request body")
    max_upload_bytes: int = Field(200 * 2**20, ge=1024, description="largest register upload")
    max_profiles: int = Field(10_000, ge=1, description="most profiles in one /v1/match or /v1/decide request")
    vectorized_min_profiles: int = Field(0, ge=0, description="decide a /v1/decide request of at least this many"
                                                              " profiles with the vectorized backend (0: never)")
    request_timeout: float = Field(30.0, gt=0, description="seconds a request may take")
    data_dir: Path = Field(Path("eligibility-data"), description="rule-set archive and job files (shared by workers)")
    job_retention: int = Field(3600, ge=1, description="seconds a finished job's files are kept")
    max_jobs: int = Field(4, ge=1, description="most jobs kept at once (running or finished)")
    job_chunk_size: int = Field(100_000, ge=1, description="register rows scored per chunk in a job")
    graceful_timeout: float = Field(30.0, ge=0, description="seconds in-flight requests get at shutdown")
    keep_alive: int = Field(75, ge=1, description="seconds an idle keep-alive connection stays open (longer than the"
                                                  " idle timeout of the proxy or client pool in front)")
    fast_lane: bool = Field(True, description="answer well-formed /v1/match and /v1/decide JSON requests without"
                                              " FastAPI's routing machinery (the same answers; off: every request"
                                              " through the routes)")
    worker_start_timeout: int = Field(120, ge=1, description="seconds a new worker may take to load the rules and"
                                                             " answer (several workers)")

    @field_validator("rules", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        return [p for p in v.split(",") if p] if isinstance(v, str) else v

    @property
    def rulesets_dir(self) -> Path:
        return self.data_dir / "rulesets"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def loopback(self) -> bool:
        """True when the server is reachable from this machine only."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def auth_required(self) -> bool:
        return self.auth if self.auth is not None else not self.loopback

    def token_set(self, admin: bool = False) -> frozenset[str]:
        """The accepted tokens (admin: those for /v1/admin/*, else the ordinary ones)."""
        inline, file = (self.admin_tokens, self.admin_tokens_file) if admin else (self.tokens, self.tokens_file)
        found = [t.strip() for t in (inline.get_secret_value() if inline else "").split(",")]
        if file is not None:
            try:
                found += [line.strip() for line in file.read_text(encoding="utf-8").splitlines()]
            except OSError as exc:
                raise EligibilityError(f"无法读取令牌文件 {file}：{exc.strerror}",
                                       f"cannot read the token file {file}: {exc.strerror}") from None
        return frozenset(t for t in found if t and not t.startswith("#"))

    def to_env(self) -> str:
        """These settings as JSON, for the worker processes (secrets included: same user, same machine)."""
        data = self.model_dump(mode="json")
        for key in ("tokens", "admin_tokens"):
            secret = getattr(self, key)
            data[key] = secret.get_secret_value() if secret else None
        return json.dumps(data)


def load_settings(config: Path | None = None, **overrides: Any) -> ServiceSettings:
    """Settings from ``config`` (.yaml/.yml or .toml), the environment and ``overrides`` (None values
    are left out, so an option not given on the command line does not hide the file or environment)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    if config is None:
        return ServiceSettings(**given)
    suffix = config.suffix.lower()
    if suffix not in (".yaml", ".yml", ".toml"):
        raise EligibilityError(f"配置文件应为 .yaml、.yml 或 .toml：{config}",
                               f"the configuration file must be .yaml, .yml or .toml: {config}")
    if not config.is_file():
        raise EligibilityError(f"找不到配置文件 {config}", f"configuration file not found: {config}")

    class FromFile(ServiceSettings):
        @classmethod
        def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                       env_settings: PydanticBaseSettingsSource,
                                       dotenv_settings: PydanticBaseSettingsSource,
                                       file_secret_settings: PydanticBaseSettingsSource,
                                       ) -> tuple[PydanticBaseSettingsSource, ...]:
            source = (TomlConfigSettingsSource(settings_cls, toml_file=config) if suffix == ".toml" else
                      YamlConfigSettingsSource(settings_cls, yaml_file=config, yaml_file_encoding="utf-8"))
            return init_settings, env_settings, source

    return ServiceSettings.model_validate(dict(FromFile(**given)))


def settings_from_env() -> ServiceSettings:
    """The settings ``eligibility serve`` handed over (a worker process), else from the environment."""
    raw = os.environ.get(SETTINGS_ENV)
    return ServiceSettings.model_validate_json(raw) if raw else ServiceSettings()
