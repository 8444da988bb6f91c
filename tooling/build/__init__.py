"""The build: render registered templates (``render``), parse their options (``options``), and
run render, size check, gates and write in order (``pipeline``)."""
