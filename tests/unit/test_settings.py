"""Settings rewrites plain PostgreSQL URLs to the psycopg driver so operators can paste either form."""

from settings import Settings


def test_plain_postgresql_url_gets_the_psycopg_driver() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:5432/test")
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_empty_database_url_means_embedded() -> None:
    assert Settings(database_url="").database_url is None


def test_the_codec_answers_the_ui_on_its_configured_port() -> None:
    """The allowed origin follows WATTLEDGER_TEMPORAL_UI_PORT unless origins are configured outright."""
    assert Settings(temporal_ui_port=9233).codec_origins == ["http://127.0.0.1:9233", "http://localhost:9233"]
    assert Settings(codec_cors_origins=["https://ui.example"]).codec_origins == ["https://ui.example"]
