"""Automatic key and certificate lookup (issue 15): sources (WKD, DANE OPENPGPKEY/SMIMEA, DNS
CERT, LDAP) behind one KeySource interface, validation as for imported material, and a cache."""
