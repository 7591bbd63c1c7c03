"""Deployment artifacts: the container image, Compose, the Helm chart and the setup guides."""
