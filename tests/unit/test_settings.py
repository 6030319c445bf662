"""Settings rewrites plain PostgreSQL URLs to the psycopg driver so operators can paste either form."""

from settings import Settings


def test_plain_postgresql_url_gets_the_psycopg_driver() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:5432/test")
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_empty_database_url_means_embedded() -> None:
    assert Settings(database_url="").database_url is None
