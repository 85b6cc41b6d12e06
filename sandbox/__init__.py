"""The security boundary: the one policy for every header (``policy``), raw
artifacts on the sandbox origin with the bootstrap first (``serve``), and the
bootstrap itself (``static/bootstrap/``)."""
