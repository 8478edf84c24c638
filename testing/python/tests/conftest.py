"""The plugin's own tests run on every backend: SQLite always, PostgreSQL
and MariaDB when reachable (required with REGISTRAR_REQUIRE_SERVERS=1)."""


def pytest_configure(config):
    if not config.option.registrar_backends:
        config.option.registrar_backends = "sqlite,postgres,mysql"
