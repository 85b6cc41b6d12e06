"""The security boundary, as plain functions: the one policy for every header
(``policy``), the documents the sandbox origin serves with the bootstrap first
(``documents``), the bootstrap itself (``static/bootstrap/``), and the network
channel's rules and relay (``network``). ``web.sandbox_origin`` serves them."""
