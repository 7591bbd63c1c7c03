"""Held-out span templates: labelled sentences in many locales, written apart from the recognizers."""
