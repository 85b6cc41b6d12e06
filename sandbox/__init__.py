"""Isolation and testing of untrusted artifacts: the security policy, the
sandbox-origin server and (later) the smoke tester and library mirror."""
