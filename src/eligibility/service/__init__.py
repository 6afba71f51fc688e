"""The HTTP decision service (``eligibility serve``; the ``serve`` extra: FastAPI and uvicorn)."""

from .app import create_app
from .errors import STATUS as ERROR_STATUS
from .settings import ServiceSettings, load_settings

__all__ = ["ERROR_STATUS", "ServiceSettings", "create_app", "load_settings"]
