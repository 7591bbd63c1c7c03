"""Policies: rules as data (rules), what they test (conditions), and the facts they read (facts)."""
