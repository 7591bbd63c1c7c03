"""Security regressions: each file sends mail through a real gateway on loopback and checks
what reached the next hop."""
