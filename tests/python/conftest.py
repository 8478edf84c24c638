"""The tests in this directory use the pytest plugin of testing/python
(`pip install ./testing/python`), which starts `registrar serve
--ephemeral` (REGISTRAR_BIN, else target/release, else target/debug) and
gives signed-in clients: the `registrar` fixture."""
