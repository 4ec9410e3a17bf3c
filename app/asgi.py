"""The ASGI app uvicorn imports (`app.asgi:app`), configured from the environment."""

from .main import create_app
from .settings import Settings

app = create_app(Settings.from_env())
