"""Test support shared by the tests beside the code and in tests/ (a pytest plugin)."""
