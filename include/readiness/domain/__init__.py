"""The domain: readiness's vocabulary (``model``) and its rules (``scoring``): plain values
and pure functions, no I/O. Every other layer speaks these types."""
