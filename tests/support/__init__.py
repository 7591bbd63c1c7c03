"""Reusable test harnesses that run real servers on loopback."""
